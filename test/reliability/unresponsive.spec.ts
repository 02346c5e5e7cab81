import { randomBytes } from 'node:crypto';
import { SogsClient, type SogsResponse } from '../../src/client';
import type { RunningServer } from '../../src/server';
import { REDIS_URL } from '../support/db';
import { createTestContext, type TestContext } from '../support/context';
import { createRoom, messageBody } from '../support/rooms-fixtures';
import { eventually } from '../support/eventually';
import { TcpProxy } from './dependencies';

// Issue 19 item 3: a dependency that stops answering (connections stay open, nothing comes back)
// must not hang requests. With PostgreSQL, Redis or S3 black-holed, a signed post, a read and an
// upload each answer within a bound (the default timeouts, ≈ 5 s) with 503 and a reason, and the
// server recovers by itself once the dependency answers again.
jest.setTimeout(120_000);

const ROOM = 'silent';
/** With the default timeouts a request gives up within about 4-6 s (two timed-out steps at most); a margin for a loaded machine. */
const BOUND_MS = 9000;

let ctx: TestContext;
let server: RunningServer;
const proxies: Record<'pg' | 'redis' | 's3', TcpProxy> = {} as Record<'pg' | 'redis' | 's3', TcpProxy>;

beforeAll(async () => {
  ctx = await createTestContext({ config: { ROLE: 'api' } });
  await createRoom(ctx, ROOM);
  const pg = new URL(ctx.databaseUrl);
  const redis = new URL(REDIS_URL);
  const s3 = new URL(process.env.SCS_TEST_S3_ENDPOINT ?? '');
  proxies.pg = new TcpProxy(pg.hostname, Number(pg.port || 5432));
  proxies.redis = new TcpProxy(redis.hostname, Number(redis.port || 6379));
  proxies.s3 = new TcpProxy(s3.hostname, Number(s3.port));
  await Promise.all(Object.values(proxies).map((p) => p.start()));
  const viaProxy = (url: URL, port: number) =>
    Object.assign(new URL(url), { host: `127.0.0.1:${port}` })
      .toString()
      .replace(/\/$/, '');
  // The server under test reaches everything through the proxies; the default timeouts apply.
  server = await ctx.startReplica({
    ROLE: 'api',
    DATABASE_URL: viaProxy(pg, proxies.pg.port),
    REDIS_URL: viaProxy(redis, proxies.redis.port),
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: viaProxy(s3, proxies.s3.port),
    S3_BUCKET: `silent-${randomBytes(4).toString('hex')}`,
    S3_ACCESS_KEY: 'S3RVER',
    S3_SECRET_KEY: 'S3RVER',
    S3_PATH_STYLE: true,
    RATE_LIMIT_POSTS: 0,
  });
});
afterAll(async () => {
  for (const p of Object.values(proxies)) p.restore();
  await ctx?.close();
  await Promise.all(Object.values(proxies).map((p) => p.close()));
});

const client = () => new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed: new Uint8Array(randomBytes(32)), timeoutMs: 20_000 });

interface Timed {
  what: string;
  code: number;
  ms: number;
  reason: string;
}

async function timed(what: string, run: () => Promise<SogsResponse>): Promise<Timed> {
  const start = Date.now();
  const res = await run();
  return { what, code: res.code, ms: Date.now() - start, reason: res.code >= 400 ? res.text() : '' };
}

const post = (user: SogsClient) => timed('post', () => user.post(`/room/${ROOM}/message`, messageBody()));
const read = (user: SogsClient) => timed('read', () => user.get(`/room/${ROOM}/messages/recent?limit=5`));
const upload = (user: SogsClient) => timed('upload', () => user.request({ method: 'POST', path: `/room/${ROOM}/file`, body: randomBytes(1000) }));

const recovers = (check: () => Promise<boolean>, what: string) => eventually(check, 30_000, what, 100);

function report(name: string, outcomes: Timed[], recoveryMs: number): void {
  process.stdout.write(`unresponsive ${name}: ${outcomes.map((o) => `${o.what} ${o.code} in ${o.ms} ms (${o.reason})`).join('; ')}; recovered in ${recoveryMs} ms\n`);
}

it.each([
  ['PostgreSQL', 'pg'],
  ['Redis', 'redis'],
] as const)('%s black-holed: a signed post and a read answer 503 with a reason within the bound, then it recovers', async (name, proxy) => {
  const user = client();
  expect((await post(user)).code).toBe(201);
  proxies[proxy].blackhole();
  let outcomes: Timed[];
  try {
    outcomes = await Promise.all([post(user), read(client()), post(client())]);
  } finally {
    proxies[proxy].restore();
  }
  const recoveryMs = await recovers(async () => (await post(user)).code === 201, `recovery of ${name}`);
  report(name, outcomes, recoveryMs);
  for (const o of outcomes) {
    expect(o.ms).toBeLessThan(BOUND_MS);
    // A read may still be served from the caches; what fails is a 503 with a reason.
    if (o.code !== 200) {
      expect(o.code).toBe(503);
      expect(o.reason).toMatch(/unavailable/i);
    }
  }
  expect(outcomes.filter((o) => o.what === 'post').map((o) => o.code)).toEqual([503, 503]);
});

it('S3 black-holed: an upload answers 503 with a reason within the bound, then it recovers', async () => {
  const user = client();
  expect((await upload(user)).code).toBe(201);
  proxies.s3.blackhole();
  let outcomes: Timed[];
  try {
    outcomes = await Promise.all([upload(user), upload(client())]);
  } finally {
    proxies.s3.restore();
  }
  const recoveryMs = await recovers(async () => (await upload(user)).code === 201, 'recovery of S3');
  report('S3', outcomes, recoveryMs);
  for (const o of outcomes) {
    expect(o.ms).toBeLessThan(BOUND_MS);
    expect(o.code).toBe(503);
    expect(o.reason).toMatch(/unavailable/i);
  }
});
