import { PluginState, StateRefused } from '../../../src/plugins/plugin-state.service';
import type { PluginStateStore } from '../../../src/plugins/plugin-state.store';
import type { RedisService } from '../../../src/redis/redis.service';
import { asFake, unitConfig } from '../support/fakes';

// issue 16: what a worker plugin may ask of its shared state — checked before Redis is touched.
describe('plugin state', () => {
  const calls: unknown[][] = [];
  const store = asFake<PluginStateStore>({
    get: async (key) => (calls.push(['get', key]), '{"n":1}'),
    set: async (...args) => void calls.push(['set', ...args]),
    append: async (...args) => (calls.push(['append', ...args]), [{ at: 1700000000.5, json: '"b"' }]),
  });
  const redis = asFake<RedisService>({ key: (kind, ...parts) => [kind, ...parts].join(':'), pseudonym: (...s) => `h(${s.join('|')})` });
  const state = new PluginState(unitConfig({ PLUGIN_STATE_VALUE_MAX_BYTES: 32, PLUGIN_STATE_MAX_TTL: 3600, PLUGIN_STATE_LIST_MAX: 5 }), redis, store);

  beforeEach(() => (calls.length = 0));

  it("keys are the plugin's name, then a pseudonym of its own key; values go as JSON, TTLs in ms", async () => {
    expect(await state.run('greeter', { op: 'get', key: `question:15${'a'.repeat(64)}` })).toEqual({ n: 1 });
    expect(calls[0]).toEqual(['get', `pstate:greeter:h(greeter|question:15${'a'.repeat(64)})`]);
    expect(await state.run('greeter', { op: 'set', key: 'k', value: [1, 'x'], ttl: 1.5 })).toBeNull();
    expect(calls[1]).toEqual(['set', 'pstate:greeter:h(greeter|k)', '[1,"x"]', 1500]);
    expect(await state.run('flood', { op: 'append', key: 'k', value: 'b', window: 60 })).toEqual([{ at: 1700000000.5, value: 'b' }]);
    expect(calls[2]).toEqual(['append', 'pstate:flood:h(flood|k)', '"b"', 60_000, 5]);
  });

  it('refuses, without touching Redis, an unknown or malformed operation, a value too large or not JSON, a TTL too long', async () => {
    const refused = async (op: unknown, message: RegExp) => {
      await expect(state.run('p', op)).rejects.toThrow(StateRefused);
      await expect(state.run('p', op)).rejects.toThrow(message);
    };
    await refused({ op: 'keys', key: '*' }, /invalid state operation/);
    await refused({ op: 'get', key: '' }, /invalid state operation: key/);
    await refused({ op: 'set', key: 'k', value: 1, ttl: 0 }, /invalid state operation: ttl/);
    await refused({ op: 'set', key: 'k', value: 'x'.repeat(40), ttl: 60 }, /at most 32 bytes as JSON/);
    await refused({ op: 'set', key: 'k', value: undefined, ttl: 60 }, /must be JSON/);
    await refused({ op: 'incr', key: 'k', ttl: 3601 }, /at most 3600 s/);
    expect(calls).toEqual([]);
  });
});
