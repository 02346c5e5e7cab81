import { InboxService } from '../../../src/inbox/inbox.service';
import { ModerationService } from '../../../src/moderation/moderation.service';
import { createTestContext, type TestContext } from '../../support/context';

// protocol §14 test_dm: blinded direct messages (protocol §6.9).

interface Dm {
  id: number;
  posted_at: number;
  expires_at: number;
  sender: string;
  recipient: string;
  message?: string;
}

const DAY = 86400;

describe('test_dm', () => {
  let ctx: TestContext;
  afterEach(() => ctx?.close());

  test('test_dm_default_empty: empty inbox and outbox; since-polls answer 304', async () => {
    ctx = await createTestContext();
    const user = ctx.newUser();
    let r = await user.get('/inbox');
    expect(r.code).toBe(200);
    expect(r.json()).toEqual([]);
    expect((await user.get('/outbox')).json()).toEqual([]);
    r = await user.get('/inbox/since/0');
    expect(r.code).toBe(304);
    expect(r.body.length).toBe(0);
    expect((await user.get('/outbox/since/0')).code).toBe(304);
  });

  test('test_dm_send: 201 shape, inbox/outbox content, since, limit, 15-day expiry', async () => {
    ctx = await createTestContext();
    const alice = ctx.newUser();
    const bob = ctx.newUser();
    expect((await bob.get('/inbox')).code).toBe(200); // bob exists
    const message = Buffer.from('opaque bytes \x00\xff').toString('base64');
    const t0 = Date.now() / 1000;
    const r = await alice.post(`/inbox/${bob.sessionId}`, { message });
    expect(r.code).toBe(201);
    const sent = r.json<Dm>();
    expect(Object.keys(sent).sort()).toEqual(['expires_at', 'id', 'posted_at', 'recipient', 'sender']);
    expect(sent).toMatchObject({ sender: alice.sessionId, recipient: bob.sessionId });
    expect(sent.posted_at).toBeGreaterThanOrEqual(t0 - 1);
    expect(sent.expires_at - sent.posted_at).toBeCloseTo(15 * DAY, 3);

    const expected = { ...sent, message };
    expect((await bob.get('/inbox')).json()).toEqual([expected]);
    expect((await alice.get('/outbox')).json()).toEqual([expected]);
    expect((await alice.get('/inbox')).json()).toEqual([]);
    expect((await bob.get('/outbox')).json()).toEqual([]);
    expect((await bob.get('/inbox/since/0')).json()).toEqual([expected]);
    expect((await bob.get(`/inbox/since/${sent.id}`)).code).toBe(304);
    expect((await alice.get(`/outbox/since/${sent.id - 1}`)).json()).toEqual([expected]);

    // oldest first, limit clamped; unpadded base64 accepted
    const second = (await alice.post(`/inbox/${bob.sessionId}`, { message: 'aGk' })).json<Dm>();
    expect((await bob.get('/inbox')).json<Dm[]>().map((m) => m.id)).toEqual([sent.id, second.id]);
    expect((await bob.get('/inbox?limit=1')).json<Dm[]>().map((m) => m.id)).toEqual([sent.id]);
    expect((await bob.get('/inbox?limit=0')).json<Dm[]>()).toHaveLength(1);
    expect((await bob.get('/inbox?limit=x')).code).toBe(400);
    expect((await bob.get(`/inbox/since/${sent.id}`)).json<Dm[]>()).toEqual([{ ...second, message: 'aGk=' }]);
  });

  test('test_dm_bad_requests: missing or non-base64 message 400, unknown or non-15 recipient 404', async () => {
    ctx = await createTestContext();
    const alice = ctx.newUser();
    const bob = ctx.newUser();
    await bob.get('/inbox');
    expect((await alice.post(`/inbox/${bob.sessionId}`, {})).code).toBe(400);
    expect((await alice.post(`/inbox/${bob.sessionId}`, { message: 'not base64!' })).code).toBe(400);
    expect((await alice.post(`/inbox/${bob.sessionId}`, { message: 'a-_b' })).code).toBe(400);
    expect((await alice.post(`/inbox/${ctx.newUser().sessionId}`, { message: 'aGk=' })).code).toBe(404);
    expect((await alice.post(`/inbox/05${bob.sessionId!.slice(2)}`, { message: 'aGk=' })).code).toBe(404);
    expect((await alice.get('/inbox/since/abc')).code).toBe(404);
    expect((await ctx.anon().post(`/inbox/${bob.sessionId}`, { message: 'aGk=' })).code).toBe(401);
    expect((await ctx.anon().get('/inbox')).code).toBe(401);
  });

  test('test_dm_banned: banned callers get 403 from auth; banned recipients are 404', async () => {
    ctx = await createTestContext();
    const moderation = ctx.server.app.get(ModerationService, { strict: false });
    const user = ctx.newUser();
    const banned = ctx.newUser();
    await user.get('/inbox');
    await banned.get('/inbox');
    await moderation.ban(banned.sessionId!, { global: true });
    let r = await banned.get('/inbox');
    expect(r.code).toBe(403);
    expect(r.text()).toBe('Banned');
    expect((await banned.post(`/inbox/${user.sessionId}`, { message: 'aGk=' })).code).toBe(403);
    expect((await user.post(`/inbox/${banned.sessionId}`, { message: 'aGk=' })).code).toBe(404);
    r = await user.get('/outbox');
    expect(r.json()).toEqual([]);
  });

  test('test_dm_unblinded: 05 users are refused on the blinded-only routes', async () => {
    ctx = await createTestContext({ config: { REQUIRE_BLIND_KEYS: false } });
    const plain = ctx.newUser({ blind: false });
    const blinded = ctx.newUser();
    await blinded.get('/inbox');
    for (const path of ['/inbox', '/outbox', '/inbox/since/0', '/outbox/since/0']) {
      const r = await plain.get(path);
      expect({ path, code: r.code, text: r.text() }).toEqual({ path, code: 401, text: 'This endpoint requires blinded pubkeys be used' });
    }
    expect((await plain.delete('/inbox')).code).toBe(401);
    // sending only needs a user
    expect((await plain.post(`/inbox/${blinded.sessionId}`, { message: 'aGk=' })).code).toBe(201);
  });

  test("test_dm_delete: DELETE /inbox counts and removes only the caller's inbox", async () => {
    ctx = await createTestContext();
    const [a, b, c] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    for (const u of [a, b, c]) await u.get('/inbox');
    for (let i = 0; i < 3; i++) await a.post(`/inbox/${b.sessionId}`, { message: 'aGk=' });
    await b.post(`/inbox/${a.sessionId}`, { message: 'aGk=' });
    await c.post(`/inbox/${b.sessionId}`, { message: 'aGk=' });
    let r = await b.delete('/inbox');
    expect(r.code).toBe(200);
    expect(r.json()).toEqual({ deleted: 4 });
    expect((await b.get('/inbox')).json()).toEqual([]);
    expect((await a.get('/inbox')).json<Dm[]>()).toHaveLength(1);
    expect((await a.get('/outbox')).json()).toEqual([]);
    r = await b.delete('/inbox');
    expect(r.json()).toEqual({ deleted: 0 });
  });

  test('DM expiry: DM_EXPIRY sets expires_at; expired messages are never served and expireMessages removes them', async () => {
    ctx = await createTestContext({ config: { DM_EXPIRY: 1 } });
    const inbox = ctx.server.app.get(InboxService, { strict: false });
    const [a, b] = [ctx.newUser(), ctx.newUser()];
    await b.get('/inbox');
    const sent = (await a.post(`/inbox/${b.sessionId}`, { message: 'aGk=' })).json<Dm>();
    expect(sent.expires_at - sent.posted_at).toBeCloseTo(1, 3);
    expect((await b.get('/inbox')).json<Dm[]>()).toHaveLength(1);
    ctx.clock.advance(1100);
    expect((await b.get('/inbox')).json()).toEqual([]);
    expect((await b.get('/inbox/since/0')).code).toBe(304);
    expect(await inbox.expireMessages()).toBe(1);
    expect(await ctx.prisma.inboxMessage.count()).toBe(0);
  });

  test('DM_RATE_LIMIT: per-sender limit in Redis answers 429', async () => {
    ctx = await createTestContext({ config: { DM_RATE_LIMIT: 2, DM_RATE_WINDOW: 60 } });
    const [a, b, c] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    await b.get('/inbox');
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await a.post(`/inbox/${b.sessionId}`, { message: 'aGk=' })).code);
    expect(codes).toEqual([201, 201, 429]);
    expect((await c.post(`/inbox/${b.sessionId}`, { message: 'aGk=' })).code).toBe(201);
    expect(await ctx.prisma.inboxMessage.count()).toBe(3);
  });
});
