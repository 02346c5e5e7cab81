import { connect, type Socket } from 'node:net';
import { createTestContext, type TestContext } from '../support/context';

// Issue 19 item 2: slowloris against the public listener. Clients that send headers or bodies
// slowly, stall mid-body, idle on keep-alive or open too many connections are ended by deadlines
// and caps (each a config value), so they cannot hold sockets or memory forever. All clients come
// from one address here, as every real client comes from a service node's address.
jest.setTimeout(60_000);

const MiB = 1024 * 1024;
let ctx: TestContext;
let port: number;

beforeAll(async () => {
  ctx = await createTestContext({
    config: {
      HTTP_HEADERS_TIMEOUT: 1,
      HTTP_REQUEST_TIMEOUT: 2,
      HTTP_KEEP_ALIVE_TIMEOUT: 1,
      HTTP_MAX_CONNECTIONS: 24,
      HTTP_MAX_PENDING_BODY_BYTES: 4 * MiB,
    },
  });
  port = Number(new URL(ctx.url).port);
});
afterAll(async () => {
  await ctx?.close();
});

interface RawClient {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the ms from connect to the server closing the connection, or null if still open after `ms`. */
  closedWithin(ms: number): Promise<number | null>;
}

function raw(): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closedAt: number | null = null;
    const start = Date.now();
    const closed = new Promise<void>((r) => socket.once('close', () => ((closedAt = Date.now() - start), r())));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => Buffer.concat(chunks).toString('latin1'),
        async closedWithin(ms) {
          await Promise.race([closed, new Promise((r) => setTimeout(r, ms))]);
          return closedAt;
        },
      }),
    );
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `total` bytes as `size`-byte pieces `every` ms apart until the socket closes or `until` passes. */
async function trickle(client: RawClient, size: number, every: number, until: number): Promise<void> {
  const end = Date.now() + until;
  while (!client.socket.destroyed && Date.now() < end) {
    client.socket.write(Buffer.alloc(size, 0x61));
    await sleep(every);
  }
}

const head = (length: number) => `POST /oxen/v4/lsrpc HTTP/1.1\r\nHost: sogs\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;

afterEach(async () => {
  // Nothing a test left open may outlive it (and every connection is released for the next one).
  await sleep(50);
});

it('headers sent a byte at a time are cut at HTTP_HEADERS_TIMEOUT', async () => {
  const clients = await Promise.all(Array.from({ length: 8 }, raw));
  for (const c of clients) c.socket.write('POST /oxen/v4/lsrpc HTTP/1.1\r\nX-Slow: ');
  await Promise.all(clients.map((c) => trickle(c, 1, 200, 10_000)));
  const times = await Promise.all(clients.map((c) => c.closedWithin(0)));
  for (const t of times) expect(t).not.toBeNull();
  expect(Math.max(...(times as number[]))).toBeLessThan(4000);
  expect(Math.min(...(times as number[]))).toBeGreaterThanOrEqual(900);
});

it('a body of 10 bytes every 200 ms (Content-Length 1000000) is cut at HTTP_REQUEST_TIMEOUT with 408', async () => {
  const clients = await Promise.all(Array.from({ length: 16 }, raw));
  for (const c of clients) c.socket.write(head(1_000_000));
  await Promise.all(clients.map((c) => trickle(c, 10, 200, 10_000)));
  const times = await Promise.all(clients.map((c) => c.closedWithin(0)));
  for (const t of times) expect(t).not.toBeNull();
  expect(Math.max(...(times as number[]))).toBeLessThan(5000);
  expect(clients.filter((c) => c.received().startsWith('HTTP/1.1 408')).length).toBe(clients.length);
});

it('bodies stalled part-way hold at most HTTP_MAX_PENDING_BODY_BYTES: the next gets 503, and it is all released at the deadline', async () => {
  // 1.5 MiB of a 10 MiB body each: two fit into the 4 MiB budget, the third does not.
  const stalled = await Promise.all(Array.from({ length: 3 }, raw));
  for (const [i, c] of stalled.entries()) {
    c.socket.write(head(10 * MiB));
    c.socket.write(Buffer.alloc(1.5 * MiB, 0x62));
    if (i < 2) await sleep(200);
  }
  const third = stalled[2];
  expect(await third.closedWithin(1500)).not.toBeNull();
  expect(third.received()).toMatch(/^HTTP\/1\.1 503/);
  expect(third.received()).toContain('Server busy receiving other requests');
  // The first two are still within their deadline, then ended by it.
  for (const c of stalled.slice(0, 2)) expect(await c.closedWithin(5000)).not.toBeNull();
  // The budget is free again: 3.5 MiB of a new body are taken, and a whole request is served.
  const next = await raw();
  next.socket.write(head(10 * MiB));
  next.socket.write(Buffer.alloc(3.5 * MiB, 0x63));
  expect(await next.closedWithin(1000)).toBeNull();
  next.socket.destroy();
  expect((await ctx.anon().get('/capabilities')).code).toBe(200);
});

it('an idle keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT', async () => {
  const c = await raw();
  c.socket.write('GET / HTTP/1.1\r\nHost: sogs\r\n\r\n');
  const closed = await c.closedWithin(5000);
  expect(c.received()).toMatch(/^HTTP\/1\.1 200/);
  expect(closed).not.toBeNull();
  expect(closed).toBeGreaterThanOrEqual(900);
});

it('past HTTP_MAX_CONNECTIONS a new connection is closed at once; all from one address are served up to it', async () => {
  const held = await Promise.all(Array.from({ length: 24 }, raw));
  await sleep(100);
  const extra = await raw();
  expect(await extra.closedWithin(1000)).not.toBeNull();
  expect(extra.received()).toBe('');
  // Those within the cap are served (each asks for the page on its open connection).
  for (const c of held) c.socket.write('GET / HTTP/1.1\r\nHost: sogs\r\n\r\n');
  await sleep(1000);
  expect(held.filter((c) => c.received().startsWith('HTTP/1.1 200')).length).toBe(held.length);
  for (const c of held) c.socket.destroy();
  await sleep(100);
  expect((await ctx.anon().get('/capabilities')).code).toBe(200);
});
