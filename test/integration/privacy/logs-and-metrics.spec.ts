import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/logging/logger';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { privacyTraffic, type Traffic } from '../../support/privacy-traffic';
import { envFor } from '../cli/cli-helpers';

// Issue 20 item 5: at the most verbose level, no log line of the server, its job worker or the CLI
// holds an id, a nonce, a signature, message data or a file name; no metric label holds an id, a
// room token or any of them either.
class Capture extends Writable {
  readonly lines: string[] = [];
  _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}
const ID = /(05|15|25)[0-9a-f]{64}/i;
const TOKEN = 'privlogs';
const logs = new Capture();
let ctx: TestContext;
let traffic: Traffic;

beforeAll(async () => {
  // ROLE all: the job worker runs in this process, its periodic jobs every second, logging here too.
  ctx = await createTestContext({ logger: createLogger({ LOG_LEVEL: 'trace' }, logs), config: { LOG_LEVEL: 'trace', ROLE: 'all', CLEANUP_INTERVAL: 1, FILE_SWEEP_INTERVAL: 1 } });
  traffic = await privacyTraffic(ctx, TOKEN);
});
afterAll(() => ctx?.close());

const leaksIn = (text: string) => [
  ...traffic.ids.filter((id) => text.toLowerCase().includes(id.slice(2))),
  ...traffic.secrets.filter((s) => text.includes(s)),
  ...(ID.exec(text) ?? []),
];

it('server and worker logs at trace level: no id, nonce, signature, message data or file name', async () => {
  // Let the worker run every periodic job at least once over the traffic's rows.
  await eventually(async () => logs.lines.some((l) => l.includes('forget-uploaders')), 20_000, 'periodic jobs ran').catch(() => undefined);
  await new Promise((r) => setTimeout(r, 2500));
  const text = logs.lines.join('\n');
  const levels = new Set(logs.lines.map((l) => (JSON.parse(l) as { level: number }).level));
  process.stdout.write(
    `privacy: ${logs.lines.length} server/worker log lines at trace (levels ${[...levels].sort().join(',')}), ${traffic.secrets.length} secrets; leaked ${leaksIn(text).length}\n`,
  );
  expect(levels.has(20)).toBe(true); // debug lines (every request) were written and scanned
  expect(logs.lines.length).toBeGreaterThan(20);
  expect(leaksIn(text)).toEqual([]);
});

it('CLI logs at trace level (stderr): none either', () => {
  const bin = resolve(__dirname, '../../../dist/src/cli/main.js');
  if (!existsSync(bin)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: resolve(__dirname, '../../..'), stdio: 'ignore' });
  const env = { ...envFor(ctx.config), PATH: process.env.PATH ?? '', LOG_LEVEL: 'trace' };
  let stderr = '';
  for (const args of [
    ['rooms', 'list'],
    ['files', 'list', '--room', TOKEN],
    ['users', 'list'],
  ]) {
    const res = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
    stderr += res.stderr;
  }
  process.stdout.write(`privacy: CLI stderr at trace: ${stderr.split('\n').filter(Boolean).length} lines; leaked ${leaksIn(stderr).length}\n`);
  expect(leaksIn(stderr)).toEqual([]);
});

it('metric labels after the traffic: no id, room token, file id or secret', async () => {
  const text = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
  const labels = [...text.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((v) => ({ name: v[1], value: v[2] })));
  const values = labels.map((l) => l.value);
  const routes = [...new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]))];
  process.stdout.write(`privacy: ${values.length} label values scraped; routes ${routes.join(' ')}\n`);
  expect(routes.some((r) => r.includes(':token'))).toBe(true); // inner requests were counted, by pattern
  // Numbers only where a label is one by nature (status codes, histogram buckets, the Node version); never a path with a value in it.
  const numeric = new Set(['status', 'le', 'quantile', 'code', 'major', 'minor', 'patch']);
  expect(labels.filter((l) => l.value.includes(TOKEN) || (!numeric.has(l.name) && /^\d+$/.test(l.value)) || /\/\d+/.test(l.value))).toEqual([]);
  expect(leaksIn(values.join('\n'))).toEqual([]);
});
