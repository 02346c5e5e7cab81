import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listPluginNames, PluginConfigError, readPluginConfig, setPluginEnabled } from '../../../src/plugins/plugin-config';
import { actionSchema, decisionAnswerSchema, stricter } from '../../../src/plugins/plugin-events';

describe('plugin configuration files', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'scs-plugins-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, config: unknown) => writeFileSync(join(dir, `${name}.json`), JSON.stringify(config));

  it('reads a worker plugin with its defaults: disabled, default allow, nothing granted, module NAME.js', () => {
    write('guard', {});
    expect(readPluginConfig(dir, 'guard')).toMatchObject({ name: 'guard', enabled: false, default: 'allow', permissions: [], modulePath: join(dir, 'guard.js') });
  });

  it('takes a webhook on https or loopback http only, and with a secret', () => {
    write('a', { webhook: 'https://bots.example.org/hook', secret: 'x'.repeat(16) });
    write('b', { webhook: 'http://127.0.0.1:8080/hook', secret: 'x'.repeat(16) });
    write('c', { webhook: 'http://bots.example.org/hook', secret: 'x'.repeat(16) });
    write('d', { webhook: 'https://bots.example.org/hook' });
    expect(readPluginConfig(dir, 'a').modulePath).toBeNull();
    expect(readPluginConfig(dir, 'b').webhook).toBe('http://127.0.0.1:8080/hook');
    expect(() => readPluginConfig(dir, 'c')).toThrow(/loopback/);
    expect(() => readPluginConfig(dir, 'd')).toThrow(/needs a secret/);
  });

  it('names the file and the field of an invalid configuration', () => {
    write('bad', { default: 'refuse', permissions: ['everything'] });
    expect(() => readPluginConfig(dir, 'bad')).toThrow(PluginConfigError);
    expect(() => readPluginConfig(dir, 'bad')).toThrow(/bad\.json: default .*permissions\.0/);
    expect(() => readPluginConfig(dir, 'missing')).toThrow(/No plugin named "missing"/);
  });

  it('enables and disables in place, keeping the other fields, mode 0600', () => {
    write('guard', { default: 'hold', note: undefined });
    expect(setPluginEnabled(dir, 'guard', true).enabled).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'guard.json'), 'utf8'))).toEqual({ default: 'hold', enabled: true });
    expect(statSync(join(dir, 'guard.json')).mode & 0o777).toBe(0o600);
    expect(setPluginEnabled(dir, 'guard', false).enabled).toBe(false);
    expect(listPluginNames(dir)).toEqual(['guard']);
  });
});

describe('plugin answers', () => {
  it('needs a reason to refuse', () => {
    expect(decisionAnswerSchema.safeParse({ decision: 'refuse' }).success).toBe(false);
    expect(decisionAnswerSchema.safeParse({ decision: 'refuse', reason: 'no' }).success).toBe(true);
    expect(decisionAnswerSchema.safeParse({ decision: 'maybe' }).success).toBe(false);
  });

  it('takes a ban in one room or everywhere, not both or neither', () => {
    const user = `15${'a'.repeat(64)}`;
    expect(actionSchema.safeParse({ action: 'ban', user, room: 'lobby', timeout: 60 }).success).toBe(true);
    expect(actionSchema.safeParse({ action: 'ban', user, global: true }).success).toBe(true);
    expect(actionSchema.safeParse({ action: 'ban', user }).success).toBe(false);
    expect(actionSchema.safeParse({ action: 'unban', user, room: 'lobby', global: true }).success).toBe(false);
    expect(actionSchema.safeParse({ action: 'mute', user, room: 'lobby', duration: 600 }).success).toBe(true);
    expect(actionSchema.safeParse({ action: 'mute', user, duration: 600 }).success).toBe(false);
    expect(actionSchema.safeParse({ action: 'post', room: 'lobby', text: 'hi' }).success).toBe(true);
  });

  it('keeps the strictest decision: refuse > silent > hold > allow', () => {
    expect(stricter('allow', 'hold')).toBe('hold');
    expect(stricter('silent', 'hold')).toBe('silent');
    expect(stricter('hold', 'refuse')).toBe('refuse');
  });
});
