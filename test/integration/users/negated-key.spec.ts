// Issue 19 item 7: a blind15 user can sign as −kA as well as kA, two 15 ids for one person. Bans,
// mutes, permissions and rate limits must hold for both; each message keeps the id it was signed as.
import { SogsClient } from '../../../src/client';
import { ModerationService } from '../../../src/moderation/moderation.service';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, messageBody, post } from '../../support/rooms-fixtures';

describe('the negated blinded key is the same user (issue 19 item 7)', () => {
  let ctx: TestContext;
  let moderation: ModerationService;
  let n = 0;

  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 3, RATE_LIMIT_WINDOW: 60 } });
    moderation = ctx.server.app.get(ModerationService, { strict: false });
  });
  afterAll(() => ctx?.close());

  const room = async () => {
    const token = `twin-${++n}`;
    await createRoom(ctx, token);
    return token;
  };
  const twinOf = (c: SogsClient, opts: { blind?: boolean; negated?: boolean } = {}) =>
    new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed: c.seed!, blind: opts.blind ?? true, negatedBlindKey: opts.negated ?? true });

  it('kA and −kA differ in the sign bit only, are one users row, and each message keeps the id it was signed as', async () => {
    const token = await room();
    const alice = ctx.newUser();
    const twin = twinOf(alice);
    expect(twin.sessionId).not.toBe(alice.sessionId);
    expect(twin.sessionId!.slice(0, 64)).toBe(alice.sessionId!.slice(0, 64));
    const a = await post(alice, token);
    const b = await post(twin, token);
    expect(a.session_id).toBe(alice.sessionId);
    expect(b.session_id).toBe(twin.sessionId);
    const recent = (await ctx.anon().get(`/room/${token}/messages/recent`)).json<Array<{ id: number; session_id: string }>>();
    expect(recent.map((m) => [m.id, m.session_id])).toEqual([
      [b.id, twin.sessionId],
      [a.id, alice.sessionId],
    ]);
    expect(await ctx.prisma.user.count({ where: { sessionId: { in: [alice.sessionId!, twin.sessionId!] } } })).toBe(1);
    // Editing under the twin key re-signs the message: its id follows the new signature.
    expectStatus(await twin.put(`/room/${token}/message/${a.id}`, messageBody()), 200);
    const edited = (await ctx.anon().get(`/room/${token}/message/${a.id}`)).json<{ session_id: string }>();
    expect(edited.session_id).toBe(twin.sessionId);
  });

  it('a room ban on either id refuses the other', async () => {
    const token = await room();
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    await post(alice, token);
    await post(twinOf(bob), token);
    await moderation.ban(alice.sessionId!, { rooms: [token] });
    await moderation.ban(twinOf(bob).sessionId!, { rooms: [token] });
    expect((await twinOf(alice).post(`/room/${token}/message`, messageBody())).code).toBe(403);
    expect((await twinOf(alice).get(`/room/${token}/messages/recent`)).code).toBe(403);
    expect((await bob.post(`/room/${token}/message`, messageBody())).code).toBe(403);
  });

  it('a global ban on kA refuses −kA', async () => {
    const alice = ctx.newUser();
    expectStatus(await alice.get('/capabilities'), 200);
    await moderation.ban(alice.sessionId!, { global: true });
    expect((await twinOf(alice).get('/capabilities')).code).toBe(403);
  });

  it('a global ban on a 05 id before first contact refuses both blinded ids, whichever comes first', async () => {
    for (const negatedFirst of [true, false]) {
      const unblinded = ctx.newUser({ blind: false });
      await moderation.ban(unblinded.sessionId!, { global: true });
      const first = twinOf(unblinded, { negated: negatedFirst });
      const second = twinOf(unblinded, { negated: !negatedFirst });
      expect((await first.get('/capabilities')).code).toBe(403);
      expect((await second.get('/capabilities')).code).toBe(403);
    }
  });

  it('a mute (write: false) and moderator rights apply to both ids', async () => {
    const token = await room();
    const [alice, mod] = [ctx.newUser(), ctx.newUser()];
    await post(alice, token);
    await moderation.setPermissions(await moderation.roomByToken(token), twinOf(alice).sessionId!, { write: false });
    expect((await alice.post(`/room/${token}/message`, messageBody())).code).toBe(403);
    await moderation.addModerator(mod.sessionId!, { rooms: [token] });
    const m = await post(mod, token);
    // The moderator's twin can delete as a moderator: it is the same moderator.
    const victim = (await ctx.prisma.message.findFirstOrThrow({ where: { id: { not: m.id }, room: { token } } })).id;
    expectStatus(await twinOf(mod).delete(`/room/${token}/message/${victim}`), 200);
  });

  it('a DM keeps the ids it was signed as and addressed to; both twins read one inbox', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    expectStatus(await bob.get('/inbox'), 200); // bob exists
    const message = Buffer.from('sealed').toString('base64');
    expectStatus(await twinOf(alice).post(`/inbox/${twinOf(bob).sessionId}`, { message }), 201);
    expectStatus(await alice.post(`/inbox/${bob.sessionId}`, { message }), 201);
    const parties = (dms: Array<{ sender: string; recipient: string }>) => dms.map((m) => [m.sender, m.recipient]);
    const sent = [
      [twinOf(alice).sessionId, twinOf(bob).sessionId],
      [alice.sessionId, bob.sessionId],
    ];
    const inbox = await bob.get('/inbox');
    expectStatus(inbox, 200);
    expect(parties(inbox.json())).toEqual(sent);
    expect(parties((await twinOf(bob).get('/inbox')).json())).toEqual(sent);
    expect(parties((await alice.get('/outbox')).json())).toEqual(sent);
  });

  it('the post rate limit counts both ids together', async () => {
    const token = await room();
    const alice = ctx.newUser();
    for (let i = 0; i < 3; i++) await post(i % 2 ? twinOf(alice) : alice, token);
    expect((await twinOf(alice).post(`/room/${token}/message`, messageBody())).code).toBe(429);
  });
});
