import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, type ServerProcess } from '../../bench/server-process';
import { SogsClient } from '../../src/client';
import { loadOrCreateServerKey } from '../../src/config/server-key';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { envFor } from '../integration/cli/cli-helpers';

// IDLE_HEAP_TRIM_SECONDS (issue 18 item 4), in a process of its own as the README runs it: under
// load V8 grows the young generation, and an idle server gives it back only by this trim. Read
// through the server's own /metrics (prom-client's per-space heap gauges).

jest.setTimeout(240_000);

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
const MB = 1048576;

describe('an idle server gives back its young generation', () => {
  let ctx: TestContext;
  let dir: string;
  let server: ServerProcess;

  const metric = async (series: string): Promise<number> => {
    const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return Number(line?.split(' ')[1] ?? NaN);
  };
  const youngBytes = () => metric('nodejs_heap_space_size_total_bytes{space="new"}');
  const trims = () => metric('scs_idle_heap_trims_total');

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    ctx = await createTestContext({ config: { ROLE: 'api' } });
    dir = mkdtempSync(join(tmpdir(), 'scs-heap-trim-'));
    const [port, adminPort] = [await freePort(), await freePort()];
    server = await startProcess({
      script: MAIN,
      env: envFor(ctx.config, { ROLE: 'api', IDLE_HEAP_TRIM_SECONDS: '6', KEY_FILE: join(dir, 'key_x25519'), PORT: String(port), ADMIN_PORT: String(adminPort) }),
      url: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
      logFile: join(dir, 'server.log'),
    });
  });

  afterAll(async () => {
    await server?.stop();
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps it while requests come, and gives it back once none has come for IDLE_HEAP_TRIM_SECONDS', async () => {
    const client = new SogsClient({ baseUrl: server.url, serverPubkey: loadOrCreateServerKey(join(dir, 'key_x25519')).publicKeyHex });
    // The server may have been idle long enough since its start to have trimmed once: counted from here.
    const before = await trims();
    // One request a second: never idle for 6 s, so no trim.
    for (let i = 0; i < 8; i++) {
      await client.get('/capabilities');
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await trims()).toBe(before);

    // Load (onion requests, as clients send them) until the young generation has grown: start-up
    // grows it, and V8 itself may have shrunk it again under the light load above. Then nothing:
    // after 6 s a collection, and if V8 kept the young generation then, another 6 s later; it is
    // back near V8's 1 MB. Read every 4 s: a scrape allocates about 1 MB, and read every second
    // that alone is V8's threshold of a low allocation rate (1 KB/ms). Now and then a scrape tips
    // the young generation left over from the load into a collection of V8's own, which gives it
    // back first; then the round is run again, up to three times, until the trim is what did it.
    let collections = 0;
    let idleMs = 0;
    let trimmed = (await trims()) - before;
    for (let round = 0; round < 3 && collections === 0; round++) {
      const started = Date.now();
      do await Promise.all(Array.from({ length: 50 }, () => client.get('/capabilities')));
      while ((await youngBytes()) <= 8 * MB && Date.now() - started < 30_000);
      expect(await youngBytes()).toBeGreaterThan(8 * MB);
      const idleSince = Date.now();
      await eventually(async () => expect(await youngBytes()).toBeLessThanOrEqual(4 * MB), 40_000, 'the young generation given back', 4000);
      idleMs = Date.now() - idleSince;
      const now = (await trims()) - before;
      collections = now - trimmed;
      trimmed = now;
    }
    expect(collections).toBeGreaterThanOrEqual(1);
    expect(collections).toBeLessThanOrEqual(3);
    // Not before IDLE_HEAP_TRIM_SECONDS (6 s) without a request.
    expect(idleMs).toBeGreaterThanOrEqual(5_000);
    // Given back, it is not collected again while the server stays idle.
    await new Promise((r) => setTimeout(r, 8000));
    expect((await trims()) - before).toBe(trimmed);
  });
});
