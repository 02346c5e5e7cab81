import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../../src/config/config.schema';

/** Every setting's default is one of these (config.schema.ts). */
type Scalar = string | number | boolean;

// Issue 2: the README's configuration table is the admin's reference; it must name every setting
// of src/config/config.schema.ts with the default the code really uses.
describe('README configuration table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const rows = new Map([...readme.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]*) \|/gm)].map((m) => [m[1], m[2].trim()]));
  const defaults = configSchema.parse({}) as Record<string, Scalar | undefined>;
  const render = (_name: string, value: Scalar | undefined) => (value === undefined ? '—' : typeof value === 'string' && value === '' ? '`""`' : `\`${String(value)}\``);

  it('lists every setting with its default', () => {
    const names = Object.keys(configSchema.shape);
    const inReadme = Object.fromEntries(names.map((name) => [name, rows.get(name) ?? '(missing)']));
    expect(inReadme).toEqual(Object.fromEntries(names.map((name) => [name, render(name, defaults[name])])));
  });

  it('lists no setting the server does not have', () => {
    const known = new Set([...Object.keys(configSchema.shape), 'CONFIG_FILE']);
    expect([...rows.keys()].filter((name) => !known.has(name))).toEqual([]);
  });

  it('keeps the two commands on the first screen', () => {
    const firstScreen = readme.split('\n').slice(0, 15).join('\n');
    expect(firstScreen).toMatch(/^npm run serve +#/m);
    expect(firstScreen).toMatch(/^npm test +#/m);
  });
});
