import { parseDuration, parseId, parseRoomToken, parseSessionId } from '../../../src/cli/parse';
import { UsageError } from '../../../src/cli/io';
import { repad, bool } from '../../../src/cli/import/pysogs-values';
import { escapeHtml, html } from '../../../src/web/html';

describe('CLI argument parsing', () => {
  test.each([
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['7d', 604800],
    ['1w', 604800],
    ['1d12h', 129600],
    ['0.5h', 1800],
  ])('duration %s = %d s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  test.each(['', '0', '-5m', 'soon', '5x', '1d 2h', 'h'])('duration %p is a usage error', (text) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
  });

  test('session ids: 05 or 15 plus 64 hex, lower-cased; anything else is a usage error', () => {
    const hex = 'AB'.repeat(32);
    expect(parseSessionId(`05${hex}`)).toBe(`05${hex.toLowerCase()}`);
    expect(parseSessionId(`15${hex}`)).toBe(`15${hex.toLowerCase()}`);
    for (const bad of [`25${hex}`, `05${hex}0`, `05${hex.slice(2)}`, 'ff' + hex, '']) expect(() => parseSessionId(bad)).toThrow(UsageError);
  });

  test('room tokens: 1-64 of [A-Za-z0-9_-] (protocol §9.1)', () => {
    expect(parseRoomToken('Lobby_1-x')).toBe('Lobby_1-x');
    for (const bad of ['', 'a b', 'x'.repeat(65), 'é', '../x']) expect(() => parseRoomToken(bad)).toThrow(UsageError);
    expect(parseId('42')).toBe(42);
    expect(() => parseId('4.2')).toThrow(UsageError);
  });
});

describe('pysogs values', () => {
  test('repad restores Session padding from pysogs data_size (protocol §7.5)', () => {
    const stored = Buffer.from('hello');
    expect(repad(stored, 12)).toEqual(Buffer.concat([stored, Buffer.from([0x80]), Buffer.alloc(6)]));
    expect(repad(stored, 5)).toEqual(stored);
    expect(repad(stored, null)).toEqual(stored);
    expect(repad(stored, 6)).toEqual(Buffer.concat([stored, Buffer.from([0x80])]));
  });

  test('booleans from SQLite and PostgreSQL', () => {
    expect([1, true, '1', 't'].map(bool)).toEqual([true, true, true, true]);
    expect([0, false, null, 'f'].map(bool)).toEqual([false, false, false, false]);
  });
});

describe('web HTML escaping', () => {
  test('every interpolated value is escaped unless it is markup the templates built', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const name = '<img src=x onerror=alert(1)>';
    expect(html`<p>${name}</p>${html`<b>${'&'}</b>`}`.value).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p><b>&amp;</b>');
  });
});
