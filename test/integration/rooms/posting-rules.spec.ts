// protocol §9.2 rate limit and filters; idempotent posting (issue 3 item 8); protocol §9.4 maintenance.
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, grantRoom, messageBody, post, sessionMessage } from '../../support/rooms-fixtures';
import { RoomsService } from '../../../src/rooms/rooms.service';

describe('posting rules (protocol §9.2)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { PROFANITY_FILTER: true, ALPHABET_FILTERS: 'cyrillic', ALPHABET_SILENT: false } });
    await createRoom(ctx, 'test-room');
    await createRoom(ctx, 'room2');
  });
  afterAll(() => ctx?.close());

  it('test_rate_limit: the 6th post within 16 s is 429; other rooms and admins unaffected; edits not limited', async () => {
    const user = ctx.newUser();
    const first = await post(user, 'test-room');
    for (let i = 0; i < 4; i++) await post(user, 'test-room');
    const sixth = await user.post('/room/test-room/message', messageBody());
    expectStatus(sixth, 429);
    expect(sixth.text()).toBe('Rate limited');
    await post(user, 'room2');
    expectStatus(await user.put(`/room/test-room/message/${first.id}`, messageBody('edit')), 200);

    const admin = ctx.newUser();
    await grantRoom(ctx, 'test-room', admin, { admin: true });
    for (let i = 0; i < 7; i++) await post(admin, 'test-room');
    const mod = ctx.newUser();
    await grantRoom(ctx, 'test-room', mod);
    for (let i = 0; i < 5; i++) await post(mod, 'test-room');
    expectStatus(await mod.post('/room/test-room/message', messageBody()), 429);
  });

  it('test_idempotent_post: the same author, room and signature returns the original message', async () => {
    const user = ctx.newUser();
    const body = messageBody();
    const a = await post(user, 'room2', body);
    const b = await post(user, 'room2', body);
    expect(b.id).toBe(a.id);
    expect(b.seqno).toBe(a.seqno);
    // concurrent retries do not duplicate either
    const again = messageBody();
    const results = await Promise.all(Array.from({ length: 4 }, () => post(user, 'room2', again)));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await ctx.prisma.message.count({ where: { signature: Buffer.from(again.signature, 'base64') } })).toBe(1);
    // the same signature in another room is a different post
    expect((await post(user, 'test-room', body)).id).not.toBe(a.id);
  });

  it('test_filters: silent profanity filter stores filtered, never shows it; look-alikes do not bypass; loud alphabet filter → 429', async () => {
    const user = ctx.newUser();
    const viewer = ctx.newUser();
    const clean = await post(user, 'room2', sessionMessage('hello friends'));
    expect(clean).not.toHaveProperty('filtered');
    const dirty = await post(user, 'room2', sessionMessage('you \u{1d41b}itch')); // mathematical bold b
    expect(dirty.filtered).toBe(true);
    const res = await viewer.get(`/room/room2/messages/since/${clean.seqno - 1}`);
    expect(res.json<Array<{ id: number }>>().map((m) => m.id)).toEqual([clean.id]);
    expectStatus(await viewer.get(`/room/room2/message/${dirty.id}`), 404);
    expectStatus(await user.get(`/room/room2/message/${dirty.id}`), 404);

    const cyr = await user.post('/room/room2/message', sessionMessage('привет'));
    expectStatus(cyr, 429);
    expect(cyr.text()).toBe('filtration rejected message (alphabet)');
    const mod = ctx.newUser();
    await grantRoom(ctx, 'room2', mod);
    expect(await post(mod, 'room2', sessionMessage('привет bitch'))).not.toHaveProperty('filtered');
  });

  it('test_active_users: pollInfo records activity; refreshActiveUsers counts it', async () => {
    const rooms = ctx.server.app.get(RoomsService, { strict: false });
    const a = ctx.newUser();
    const b = ctx.newUser();
    await a.get('/room/test-room/pollInfo/0');
    await b.get('/room/test-room/messages/since/0');
    await ctx.anon().get('/room/test-room/pollInfo/0');
    await rooms.refreshActiveUsers();
    expect((await a.get('/room/test-room/pollInfo/0')).json<{ active_users: number }>().active_users).toBeGreaterThanOrEqual(2);
    const room = await ctx.prisma.room.findFirstOrThrow({ where: { token: 'test-room' } });
    const activeRows = await ctx.prisma.roomUser.count({ where: { roomId: room.id } });
    expect(room.activeUsers).toBe(activeRows);
  });

  it('test_history_prune: old edit history goes, recent stays', async () => {
    const rooms = ctx.server.app.get(RoomsService, { strict: false });
    const user = ctx.newUser();
    const m = await post(user, 'room2');
    await user.put(`/room/room2/message/${m.id}`, messageBody('one'));
    await user.put(`/room/room2/message/${m.id}`, messageBody('two'));
    const [old] = await ctx.prisma.messageHistory.findMany({ where: { messageId: m.id }, orderBy: { id: 'asc' } });
    await ctx.prisma.messageHistory.update({ where: { id: old.id }, data: { replaced: Date.now() / 1000 - 31 * 86400 } });
    await rooms.pruneHistory();
    expect(await ctx.prisma.messageHistory.count({ where: { messageId: m.id } })).toBe(1);
  });
});
