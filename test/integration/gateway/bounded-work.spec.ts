import { request as httpRequest } from 'node:http';
import { createTestContext, type TestContext } from '../../support/context';

// Hardening (issue 19 item 1 and "Overload"): one onion request does bounded work, and a process
// at capacity answers 503 with Retry-After inside a valid encrypted reply instead of queueing.
describe('sub-requests across nesting levels share one budget', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const caps = { method: 'GET', path: '/capabilities' } as const;

  it('an anonymous batch of 128 batches of 128 runs 128 sub-requests, not 16,384', async () => {
    const inner = Array.from({ length: 128 }, () => caps);
    const res = await ctx.anon().batch(Array.from({ length: 128 }, () => ({ method: 'POST' as const, path: '/batch', json: inner })));
    expect(res.code).toBe(200);
    expect(res.items).toHaveLength(128);
    for (const item of res.items) {
      expect(item.code).toBe(400);
      expect(Buffer.from(item.body as string, 'base64').toString()).toBe('Invalid batch request: more than 128 sub-requests in one request (those of nested batches count too)');
    }
    // 1 outer request + 128 sub-requests, every one of them short: the reply is small.
    expect(res.body.length).toBeLessThan(40_000);
  });

  it('every nesting level draws on the same budget', async () => {
    // 10 batches of 10 batches of 10: 1,110 sub-requests if each level had a budget of its own.
    const level = (inner: unknown) => Array.from({ length: 10 }, () => ({ method: 'POST' as const, path: '/batch', json: inner }));
    const res = await ctx.anon().batch(level(level(Array.from({ length: 10 }, () => caps))));
    expect(res.code).toBe(200);
    let ran = 0;
    const count = (items: Array<{ code: number; body: unknown }>) => {
      for (const item of items) {
        ran++;
        if (item.code === 200 && Array.isArray(item.body)) count(item.body as Array<{ code: number; body: unknown }>);
      }
    };
    count(res.items);
    expect(ran).toBeLessThanOrEqual(128);
    expect(ran).toBeGreaterThan(100);
  });

  it('nesting within the budget still works', async () => {
    const res = await ctx.anon().batch([caps, { method: 'POST' as const, path: '/sequence', json: [caps, caps] }]);
    expect(res.items.map((i) => i.code)).toEqual([200, 200]);
    expect((res.items[1].body as Array<{ code: number }>).map((i) => i.code)).toEqual([200, 200]);
  });
});

describe('admission control', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { ADMISSION_MAX_IN_FLIGHT: 1, ADMISSION_MAX_QUEUE: 0 } });
  });
  afterAll(() => ctx.close());

  it('past capacity answers 503 with Retry-After inside the encrypted reply, and serves again after', async () => {
    // Signed requests wait on Redis and PostgreSQL, so concurrent ones overlap in the one slot.
    const results = await Promise.all(Array.from({ length: 30 }, () => ctx.newUser().get('/rooms')));
    const refused = results.filter((r) => r.code === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.code === 200).length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.outerStatus).toBe(200);
      expect(r.headers['retry-after']).toBe('1');
      expect(r.text()).toBe('Server is at capacity; try again shortly');
    }
    expect((await ctx.newUser().get('/rooms')).code).toBe(200);
    const metrics = await (await fetch(ctx.adminUrl + '/metrics')).text();
    expect(metrics).toMatch(/^scs_admission_refusals_total\{reason="queue_full"\} [1-9]/m);
  });
});

describe("a batch's sub-replies share one reply budget", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    // {"capabilities":["blind","reactions","sogs"]} is 47 bytes: two fit, the third does not.
    ctx = await createTestContext({ config: { BATCH_REPLY_MAX_BYTES: 100 } });
  });
  afterAll(() => ctx.close());

  const caps = { method: 'GET', path: '/capabilities' } as const;

  it('keeps sub-replies in request order while they fit; the rest answer 503 with Retry-After', async () => {
    const res = await ctx.anon().batch([caps, caps, caps, caps]);
    expect(res.code).toBe(200);
    expect(res.items.map((i) => i.code)).toEqual([200, 200, 503, 503]);
    expect(res.items[2].headers['retry-after']).toBe('1');
  });

  it('a sequence stops at the first sub-reply that no longer fits', async () => {
    const res = await ctx.anon().sequence([caps, caps, caps, caps]);
    expect(res.items.map((i) => i.code)).toEqual([200, 200, 503]);
  });
});

describe('admission counts from a complete request', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { ADMISSION_QUEUE_TIMEOUT: 0.05 } });
  });
  afterAll(() => ctx.close());

  it('a body that takes longer to arrive than the queue timeout is served (a slow upload is not a wait for a slot)', async () => {
    const built = ctx.anon().buildOnionRequest({ method: 'GET', path: '/capabilities' });
    const third = Math.ceil(built.frame.length / 3);
    const { status, body } = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(
        `${ctx.url}${built.path}`,
        { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': built.frame.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      // Three parts 100 ms apart: 200 ms of transfer against a 50 ms queue timeout.
      req.write(built.frame.subarray(0, third));
      setTimeout(() => req.write(built.frame.subarray(third, 2 * third)), 100);
      setTimeout(() => req.end(built.frame.subarray(2 * third)), 200);
    });
    expect(built.decodeReply(body, status).code).toBe(200);
  });
});
