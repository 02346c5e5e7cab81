import { randomBytes } from 'node:crypto';
import type { SogsClient } from '../../../src/client';
import { section } from '../../unit/crypto/vectors';
import { RedisService } from '../../../src/redis/redis.service';
import { createTestContext, type TestContext } from '../../support/context';

// protocol §3.2 through onion requests against the running app; scenario names follow protocol §14 (test_auth.py).
const DAY = 86400;
let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const now = () => Math.floor(Date.now() / 1000);
const nonce = () => new Uint8Array(randomBytes(16));
const userRow = (sessionId: string) => ctx.prisma.user.findUnique({ where: { sessionId } });

/** A signed GET whose headers are then altered; the request otherwise goes out as signed. */
async function getWith(c: SogsClient, path: string, alter: (h: Record<string, string>) => Record<string, string>, sign: { nonce?: Uint8Array; timestamp?: number } = {}) {
  const headers = alter(c.signHeaders('GET', path, undefined, sign));
  // Replace every generated header: the client signs again unless all four are given.
  return c.request({ method: 'GET', path, headers, nonce: sign.nonce, timestamp: sign.timestamp });
}

describe('test_auth_basic', () => {
  it('authenticates a blinded user and creates its row', async () => {
    const alice = ctx.newUser();
    const res = await alice.get('/capabilities');
    expect(res.code).toBe(200);
    expect((await userRow(alice.sessionId!))?.sessionId).toBe(alice.sessionId);
  });

  it('lets anonymous requests through', async () => {
    expect((await ctx.anon().get('/capabilities')).code).toBe(200);
  });

  it('accepts the nonce as unpadded base64 and as hex', async () => {
    const alice = ctx.newUser();
    for (const encode of [(n: Uint8Array) => Buffer.from(n).toString('base64').replace(/=+$/, ''), (n: Uint8Array) => Buffer.from(n).toString('hex')]) {
      const n = nonce();
      const res = await getWith(alice, '/capabilities', (h) => ({ ...h, 'X-SOGS-Nonce': encode(n) }), { nonce: n });
      expect(res.code).toBe(200);
    }
  });

  it('accepts timestamps just inside the window on both sides', async () => {
    const alice = ctx.newUser();
    for (const timestamp of [now() - DAY + 5, now() + DAY - 5]) expect((await alice.get('/capabilities', { timestamp })).code).toBe(200);
  });
});

describe('test_auth_required', () => {
  it('answers 401 with the exact text when a route needs a user', async () => {
    const bob = ctx.newUser();
    await bob.get('/capabilities');
    for (const res of [await ctx.anon().get('/inbox'), await ctx.anon().post(`/inbox/${bob.sessionId}`, { message: 'aGk=' })]) {
      expect(res.code).toBe(401);
      expect(res.text()).toBe('X-SOGS-* request authentication required');
    }
  });

  it('accepts a signed POST with a body hash', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    await bob.get('/capabilities');
    expect((await alice.post(`/inbox/${bob.sessionId}`, { message: 'aGk=' })).code).toBe(201);
  });
});

describe('test_auth_banned', () => {
  it('answers 403 Banned after the signature check, and anonymous requests still work', async () => {
    const mallory = ctx.newUser();
    await mallory.get('/capabilities');
    await ctx.prisma.user.update({ where: { sessionId: mallory.sessionId! }, data: { banned: true } });
    const res = await mallory.get('/capabilities');
    expect([res.code, res.text()]).toEqual([403, 'Banned']);
    const forged = await getWith(mallory, '/capabilities', (h) => ({ ...h, 'X-SOGS-Signature': Buffer.alloc(64, 7).toString('base64') }));
    expect(forged.code).toBe(401);
    expect((await ctx.anon().get('/capabilities')).code).toBe(200);
  });
});

describe('test_auth_malformed', () => {
  const expectError = async (res: Promise<{ code: number; text(): string }>, code: number, text: string) => {
    const r = await res;
    expect([r.code, r.text()]).toEqual([code, text]);
  };

  it('401 for a flipped signature bit, a wrong path and a tampered body', async () => {
    const alice = ctx.newUser();
    const bad = 'Invalid authentication: X-SOGS-Signature verification failed';
    await expectError(
      getWith(alice, '/capabilities', (h) => {
        const sig = Buffer.from(h['X-SOGS-Signature'], 'base64');
        sig[5] ^= 0x10;
        return { ...h, 'X-SOGS-Signature': sig.toString('base64') };
      }),
      401,
      bad,
    );
    const signedForOtherPath = alice.signHeaders('GET', '/capabilities?required=sogs');
    await expectError(alice.request({ method: 'GET', path: '/capabilities', headers: signedForOtherPath }), 401, bad);
    const body = Buffer.from(JSON.stringify([{ method: 'GET', path: '/capabilities' }]));
    const signed = alice.signHeaders('POST', '/batch', body);
    await expectError(alice.request({ method: 'POST', path: '/batch', json: [{ method: 'GET', path: '/inbox' }], headers: signed }), 401, bad);
  });

  it('400 for missing or empty headers, with the count', async () => {
    const alice = ctx.newUser();
    await expectError(
      getWith(alice, '/capabilities', (h) => ({ ...h, 'X-SOGS-Nonce': '', 'X-SOGS-Timestamp': '' })),
      400,
      'Invalid authentication headers: missing 2/4 required X-SOGS-* headers',
    );
    await expectError(
      getWith(alice, '/capabilities', (h) => ({ 'X-SOGS-Pubkey': h['X-SOGS-Pubkey'], 'X-SOGS-Nonce': '', 'X-SOGS-Timestamp': '', 'X-SOGS-Signature': '' })),
      400,
      'Invalid authentication headers: missing 3/4 required X-SOGS-* headers',
    );
  });

  it('400 for a short signature, a bad nonce, a bad timestamp, a 00 key on a blinding server', async () => {
    const alice = ctx.newUser();
    await expectError(
      getWith(alice, '/capabilities', (h) => ({ ...h, 'X-SOGS-Signature': h['X-SOGS-Signature'].slice(0, 87) })),
      400,
      'Invalid authentication: X-SOGS-Signature is not base64[88]',
    );
    for (const bad of ['AAAA', 'CdB5nyKVmQGCw6s0Bvv8Ww===', 'CdB5nyKVmQGCw6s0Bvv8W=', '0'.repeat(31), '0'.repeat(34)]) {
      await expectError(
        getWith(alice, '/capabilities', (h) => ({ ...h, 'X-SOGS-Nonce': bad })),
        400,
        'Invalid authentication: X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)',
      );
    }
    await expectError(
      getWith(alice, '/capabilities', (h) => ({ ...h, 'X-SOGS-Timestamp': 'soon' })),
      400,
      'Invalid authentication: X-SOGS-Timestamp is not a valid timestamp',
    );
    await expectError(ctx.newUser({ blind: false }).get('/capabilities'), 400, 'Invalid authentication: this server requires the use of blinded ids');
  });

  it('425 for timestamps just outside the window on both sides', async () => {
    const alice = ctx.newUser();
    for (const timestamp of [now() - DAY - 5, now() + DAY + 5]) {
      await expectError(alice.get('/capabilities', { timestamp }), 425, 'Invalid authentication: X-SOGS-Timestamp is too far from current time');
    }
  });

  it('425 for a nonce reused with a different signature or body', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    await bob.get('/capabilities');
    const n = nonce();
    const t = now();
    const reused = 'Invalid authentication: X-SOGS-Nonce cannot be reused';
    expect((await alice.post(`/inbox/${bob.sessionId}`, { message: 'Zmlyc3Q=' }, { nonce: n, timestamp: t })).code).toBe(201);
    await expectError(alice.post(`/inbox/${bob.sessionId}`, { message: 'c2Vjb25k' }, { nonce: n, timestamp: t }), 425, reused);
    await expectError(alice.get('/capabilities', { nonce: n, timestamp: t }), 425, reused);
    // same request signed again at another time: a different signature under the same nonce
    await expectError(alice.post(`/inbox/${bob.sessionId}`, { message: 'Zmlyc3Q=' }, { nonce: n, timestamp: t - 7 }), 425, reused);
    // a nonce is global, not per user (protocol §3.2 step 11)
    await expectError(ctx.newUser().get('/capabilities', { nonce: n }), 425, reused);
  });

  it('spends neither the nonce nor a user row on a bad signature', async () => {
    const carol = ctx.newUser();
    const n = nonce();
    const forged = await getWith(carol, '/capabilities', (h) => ({ ...h, 'X-SOGS-Signature': Buffer.alloc(64, 1).toString('base64') }), { nonce: n });
    expect(forged.code).toBe(401);
    expect(await userRow(carol.sessionId!)).toBeNull();
    expect((await carol.get('/capabilities', { nonce: n })).code).toBe(200);
    expect(await userRow(carol.sessionId!)).not.toBeNull();
  });
});

describe('auth failure metrics', () => {
  it('counts refusals by reason on the admin port', async () => {
    const count = async () => {
      const text = await (await fetch(ctx.adminUrl + '/metrics')).text();
      return Number(/^scs_auth_failures_total\{reason="bad_signature"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await count();
    await getWith(ctx.newUser(), '/capabilities', (h) => ({ ...h, 'X-SOGS-Signature': Buffer.alloc(64, 3).toString('base64') }));
    expect(await count()).toBe(before + 1);
  });
});

describe('test_small_subgroups', () => {
  it('refuses pubkeys with a torsion component (00 and 15) with 400', async () => {
    const v = section<Record<string, string>>('small_subgroup_pubkeys');
    const alice = ctx.newUser();
    for (const pk of [v.invalid_blinded_header, v.invalid_unblinded_header]) {
      const res = await getWith(alice, '/capabilities', (h) => ({ ...h, 'X-SOGS-Pubkey': pk }));
      expect([res.code, res.text()]).toEqual([400, 'Invalid authentication: given X-SOGS-Pubkey is not a valid Ed25519 pubkey']);
    }
  });
});

describe('retry-safe replies (issue 9 item 5)', () => {
  const dmCount = (to: string) => ctx.prisma.inboxMessage.count({ where: { recipient: { sessionId: to } } });

  it('answers an identical retry with the original reply without running it again', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    await bob.get('/capabilities');
    const req = { method: 'POST' as const, path: `/inbox/${bob.sessionId}`, json: { message: 'aGVsbG8=' }, nonce: nonce(), timestamp: now() };
    const first = await alice.request(req);
    expect(first.code).toBe(201);
    // a new onion request (new ephemeral key) carrying the same signed inner request
    const retry = await alice.request(req);
    expect(retry.code).toBe(201);
    expect(retry.body.equals(first.body)).toBe(true);
    expect(await dmCount(bob.sessionId!)).toBe(1);
  });

  it('gives concurrent identical requests one effect and one reply', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    await bob.get('/capabilities');
    const req = { method: 'POST' as const, path: `/inbox/${bob.sessionId}`, json: { message: 'aGVsbG8=' }, nonce: nonce(), timestamp: now() };
    const replies = await Promise.all([alice.request(req), alice.request(req), alice.request(req)]);
    expect(replies.map((r) => r.code)).toEqual([201, 201, 201]);
    expect(new Set(replies.map((r) => r.text())).size).toBe(1);
    expect(await dmCount(bob.sessionId!)).toBe(1);
  });

  it('runs a retried read again (a GET, a batch of GETs) instead of keeping its reply; another request on its nonce is still a 425', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    await bob.get('/capabilities');
    const keptReplies = async () => (await ctx.server.app.get(RedisService).client.keys(`${ctx.config.REDIS_PREFIX}reply:*`)).length;
    const before = await keptReplies();
    const get = { method: 'GET' as const, path: '/capabilities', nonce: nonce(), timestamp: now() };
    const poll = {
      method: 'POST' as const,
      path: '/batch',
      json: [
        { method: 'GET', path: '/capabilities' },
        { method: 'GET', path: '/inbox/since/0' },
      ],
      nonce: nonce(),
      timestamp: now(),
    };
    for (const req of [get, poll]) {
      const [first, retry] = [await alice.request(req), await alice.request(req)];
      expect([first.code, retry.code]).toEqual([200, 200]);
      expect(retry.text()).toBe(first.text());
    }
    expect(await keptReplies()).toBe(before);
    const reuse = await alice.request({ ...get, path: '/capabilities?required=sogs' });
    expect([reuse.code, reuse.text()]).toEqual([425, 'Invalid authentication: X-SOGS-Nonce cannot be reused']);
    // A batch that writes is kept and replayed as before: one DM.
    const send = {
      method: 'POST' as const,
      path: '/batch',
      json: [{ method: 'POST', path: `/inbox/${bob.sessionId}`, json: { message: 'aGk=' } }],
      nonce: nonce(),
      timestamp: now(),
    };
    const [first, retry] = [await alice.request(send), await alice.request(send)];
    expect(retry.body.equals(first.body)).toBe(true);
    expect(await dmCount(bob.sessionId!)).toBe(1);
  });

  it('replays an error reply too (the original answer, not a 425)', async () => {
    const alice = ctx.newUser();
    const req = { method: 'POST' as const, path: `/inbox/15${'ab'.repeat(32)}`, json: { message: 'aGk=' }, nonce: nonce(), timestamp: now() };
    const first = await alice.request(req);
    expect(first.code).toBe(404);
    expect((await alice.request(req)).code).toBe(404);
  });
});

describe('blinding off (REQUIRE_BLIND_KEYS=false)', () => {
  let open: TestContext;
  beforeAll(async () => {
    open = await createTestContext({ config: { REQUIRE_BLIND_KEYS: false } });
  });
  afterAll(() => open.close());

  it('accepts 00 keys as 05 users, stops advertising blind, and refuses them where blinding is required', async () => {
    const dave = open.newUser({ blind: false });
    const caps = await dave.get('/capabilities');
    expect([caps.code, caps.json()]).toEqual([200, { capabilities: ['reactions', 'sogs'] }]);
    expect(dave.sessionId!.startsWith('05')).toBe(true);
    expect(await open.prisma.user.findUnique({ where: { sessionId: dave.sessionId! } })).not.toBeNull();
    const inbox = await dave.get('/inbox');
    expect([inbox.code, inbox.text()]).toEqual([401, 'This endpoint requires blinded pubkeys be used']);
  });
});

describe('limits (USER_RATE_LIMIT, AUTH_FAILURE_LIMIT, RETRY_REPLY_MAX_BYTES)', () => {
  let limited: TestContext;
  beforeAll(async () => {
    limited = await createTestContext({ config: { USER_RATE_LIMIT: 3, AUTH_FAILURE_LIMIT: 2, RETRY_REPLY_MAX_BYTES: 16 } });
  });
  afterAll(() => limited.close());

  it('429 once a user exceeds USER_RATE_LIMIT in the window', async () => {
    const eve = limited.newUser();
    for (let i = 0; i < 3; i++) expect((await eve.get('/capabilities')).code).toBe(200);
    const res = await eve.get('/capabilities');
    expect(res.code).toBe(429);
    expect(res.text()).toMatch(/rate limit/i);
    expect((await limited.newUser().get('/capabilities')).code).toBe(200);
  });

  it('only a request that runs takes from USER_RATE_LIMIT: a reused nonce does not, a retried read does (the claim takes it, issue 18 item 4)', async () => {
    const fay = limited.newUser();
    const read = { method: 'GET' as const, path: '/capabilities', nonce: nonce(), timestamp: now() };
    expect((await fay.request(read)).code).toBe(200);
    // The same nonce under another signature: refused before it runs, nothing taken.
    for (let i = 0; i < 3; i++) expect((await fay.get('/capabilities', { nonce: read.nonce, timestamp: read.timestamp - 1 - i })).code).toBe(425);
    // A retried read runs again, and pays again.
    expect((await fay.request(read)).code).toBe(200);
    expect((await fay.get('/capabilities')).code).toBe(200);
    expect((await fay.get('/capabilities')).code).toBe(429);
  });

  it("AUTH_FAILURE_LIMIT throttles only failing signatures: junk sent with a victim's public id never refuses the victim (issue 19 item 5)", async () => {
    const [victim, mallory] = [limited.newUser(), limited.newUser()];
    // Mallory signs with her own key but names the victim's blinded id: the signature cannot verify.
    const junk = () => getWith(mallory, '/capabilities', (h) => ({ ...h, 'X-SOGS-Pubkey': victim.sessionId!, 'X-SOGS-Signature': randomBytes(64).toString('base64') }));
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await junk()).code);
    expect(codes).toEqual([401, 401, 429, 429]);
    // The victim's own requests verify and pass, however many junk ones came before and after.
    expect((await victim.get('/capabilities')).code).toBe(200);
    const refused = await junk();
    expect([refused.code, refused.text()]).toEqual([429, 'Too many failed authentication attempts for this X-SOGS-Pubkey; try again later']);
    expect((await victim.get('/capabilities')).code).toBe(200);
  });

  it('accepts a retried read only within RETRY_REPLY_WINDOW: after it, the same request is a 425 (hardening)', async () => {
    const short = await createTestContext({ config: { RETRY_REPLY_WINDOW: 1 } });
    try {
      const alice = short.newUser();
      const get = { method: 'GET' as const, path: '/capabilities', nonce: nonce(), timestamp: now() };
      expect((await alice.request(get)).code).toBe(200);
      expect((await alice.request(get)).code).toBe(200);
      // The window lives in Redis (a key's TTL), so this waits for real time to pass.
      await new Promise((r) => setTimeout(r, 1100));
      const late = await alice.request(get);
      expect([late.code, late.text()]).toEqual([425, 'Invalid authentication: X-SOGS-Nonce cannot be reused']);
    } finally {
      await short.close();
    }
  });

  it('does not keep replies over RETRY_REPLY_MAX_BYTES: the retry gets the 425', async () => {
    const [gina, hal] = [limited.newUser(), limited.newUser()];
    await hal.get('/inbox');
    const req = { method: 'POST' as const, path: `/inbox/${hal.sessionId}`, json: { message: 'aGk=' }, nonce: nonce(), timestamp: now() };
    expect((await gina.request(req)).code).toBe(201);
    const retry = await gina.request(req);
    expect([retry.code, retry.text()]).toEqual([425, 'Invalid authentication: X-SOGS-Nonce cannot be reused']);
  });
});
