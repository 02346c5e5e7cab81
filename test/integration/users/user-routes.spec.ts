import { createTestContext, type TestContext } from '../../support/context';
import { community, infoUpdates, isRoomModerator, overrideRow, userRow, type Community } from './community';

// protocol §14 test_user_routes: POST /user/:session_id/moderator, /ban, /unban (protocol §6.8, §7.3).

describe('test_user_routes', () => {
  let ctx: TestContext;
  let c: Community;

  beforeEach(async () => {
    ctx = await createTestContext();
    c = await community(ctx);
  });
  afterEach(() => ctx.close());

  const mod = (sid: string) => `/user/${sid}/moderator`;

  test('test_global_mods: only a global admin grants, every flag combination, info_updates of all rooms', async () => {
    // fixtures: 2 global grants (both rooms) + 2 test-room grants
    const iu = { 'test-room': 4, room2: 2 };
    expect(await infoUpdates(ctx)).toEqual(iu);
    const bump = (n = 1) => {
      iu['test-room'] += n;
      iu.room2 += n;
    };
    const u2 = c.user2.sessionId!;
    const u1 = c.user.sessionId!;

    for (const who of [c.user, c.user2, c.mod, c.admin, c.globalMod]) {
      expect((await who.post(mod(u2), { global: true, moderator: true })).code).toBe(403);
    }

    let r = await c.globalAdmin.post(mod(u2), { global: true, moderator: true });
    expect(r.code).toBe(200);
    bump();
    expect(r.json()).toEqual({ info_updates: iu });
    expect(await userRow(ctx, c.user2)).toMatchObject({ moderator: true, admin: false, visibleMod: false });

    // a global moderator is not a global admin
    expect((await c.user2.post(mod(u2), { global: true, moderator: true })).code).toBe(403);

    r = await c.globalAdmin.post(mod(u2), { global: true, moderator: false });
    bump();
    expect(r.json()).toEqual({ info_updates: iu });
    expect(await userRow(ctx, c.user2)).toMatchObject({ moderator: false, admin: false });

    r = await c.globalAdmin.post(mod(u2), { global: true, admin: true });
    bump();
    expect(r.json()).toEqual({ info_updates: iu });
    expect(await userRow(ctx, c.user2)).toMatchObject({ moderator: true, admin: true });

    // the new global admin can grant
    r = await c.user2.post(mod(u1), { global: true, admin: true });
    expect(r.code).toBe(200);
    bump();
    expect(r.json()).toEqual({ info_updates: iu });

    // moderator=false also removes admin
    r = await c.user2.post(mod(u1), { global: true, moderator: false });
    bump();
    expect(r.json()).toEqual({ info_updates: iu });
    expect(await userRow(ctx, c.user)).toMatchObject({ moderator: false, admin: false });

    await c.globalAdmin.post(mod(u2), { global: true, moderator: false });
    bump();
    r = await c.globalAdmin.post(mod(u2), { global: true, admin: true, moderator: true });
    bump();
    expect(r.json()).toEqual({ info_updates: iu });
    expect(await userRow(ctx, c.user2)).toMatchObject({ moderator: true, admin: true });

    r = await c.globalAdmin.post(mod(u2), { global: true, admin: false, moderator: false });
    bump();
    expect(r.json()).toEqual({ info_updates: iu });
    expect(await userRow(ctx, c.user2)).toMatchObject({ moderator: false, admin: false });

    // admin=false + moderator=true: demotes an admin, promotes a non-moderator
    await c.globalAdmin.post(mod(u2), { global: true, admin: true });
    await c.globalAdmin.post(mod(u2), { global: true, admin: false, moderator: true });
    await c.globalAdmin.post(mod(u1), { global: true, admin: false, moderator: true });
    expect(await userRow(ctx, c.user)).toMatchObject({ moderator: true, admin: false });
    expect(await userRow(ctx, c.user2)).toMatchObject({ moderator: true, admin: false });

    // admin=false alone: removes admin, keeps moderator, never creates one
    await c.globalAdmin.post(mod(u1), { global: true, moderator: false });
    await c.globalAdmin.post(mod(u2), { global: true, admin: true });
    await c.globalAdmin.post(mod(u1), { global: true, admin: false });
    await c.globalAdmin.post(mod(u2), { global: true, admin: false });
    expect(await userRow(ctx, c.user)).toMatchObject({ moderator: false, admin: false });
    expect(await userRow(ctx, c.user2)).toMatchObject({ moderator: true, admin: false });

    // moderator=true alone: adds moderator, leaves admin
    await c.globalAdmin.post(mod(u2), { global: true, admin: true });
    await c.globalAdmin.post(mod(u1), { global: true, moderator: true });
    await c.globalAdmin.post(mod(u2), { global: true, moderator: true });
    expect(await userRow(ctx, c.user)).toMatchObject({ moderator: true, admin: false });
    expect(await userRow(ctx, c.user2)).toMatchObject({ moderator: true, admin: true });

    expect((await c.globalAdmin.post(mod(u2), { global: true, moderator: false, admin: true })).code).toBe(400);
    expect((await c.globalAdmin.post(mod(u2), { global: true })).code).toBe(400);
  });

  test('test_room_mods: room admins grant via lists and *, every listed room is checked', async () => {
    let iu = 4;
    let iu2 = 2;
    const u1 = c.user.sessionId!;
    const u2 = c.user2.sessionId!;

    for (const who of [c.user, c.user2, c.mod, c.globalMod]) {
      expect((await who.post(mod(u2), { rooms: ['*'], moderator: true })).code).toBe(403);
    }

    let r = await c.globalAdmin.post(mod(u2), { rooms: ['test-room'], moderator: true });
    expect(r.code).toBe(200);
    expect(r.json()).toEqual({ info_updates: { 'test-room': ++iu } });
    // `admin` is admin of test-room only, so * means test-room only
    r = await c.admin.post(mod(u1), { rooms: ['*'], moderator: true });
    expect(r.json()).toEqual({ info_updates: { 'test-room': ++iu } });
    expect(await isRoomModerator(ctx, 'test-room', c.user)).toEqual({ moderator: true, admin: false });
    expect(await isRoomModerator(ctx, 'room2', c.user)).toEqual({ moderator: false, admin: false });
    expect(await userRow(ctx, c.user)).toMatchObject({ moderator: false, admin: false });

    // a room moderator is not a room admin
    expect((await c.user2.post(mod(u2), { rooms: ['*'], moderator: true })).code).toBe(403);

    // removal: rooms where nothing changed keep their value but are still listed
    r = await c.globalAdmin.post(mod(u1), { rooms: ['*'], moderator: false });
    expect(r.json()).toEqual({ info_updates: { 'test-room': ++iu, room2: iu2 } });
    r = await c.globalAdmin.post(mod(u2), { rooms: ['*'], moderator: false });
    expect(r.json()).toEqual({ info_updates: { 'test-room': ++iu, room2: iu2 } });

    r = await c.globalAdmin.post(mod(u2), { rooms: ['*'], moderator: true });
    expect(r.json()).toEqual({ info_updates: { 'test-room': ++iu, room2: ++iu2 } });

    r = await c.globalAdmin.post(mod(u1), { rooms: ['room2'], admin: true });
    expect(r.json()).toEqual({ info_updates: { room2: ++iu2 } });
    expect(await isRoomModerator(ctx, 'room2', c.user)).toEqual({ moderator: true, admin: true });

    // user (admin of room2 only) promotes user2 in room2 only
    r = await c.user.post(mod(u2), { rooms: ['*'], admin: true });
    expect(r.json()).toEqual({ info_updates: { room2: ++iu2 } });
    expect(await isRoomModerator(ctx, 'room2', c.user2)).toEqual({ moderator: true, admin: true });
    expect(await isRoomModerator(ctx, 'test-room', c.user2)).toEqual({ moderator: true, admin: false });

    // every listed room must pass, in any order; unknown tokens are refusals too (protocol §13)
    expect((await c.user.post(mod(u2), { rooms: ['room2', 'test-room'], moderator: true })).code).toBe(403);
    expect((await c.user.post(mod(u2), { rooms: ['test-room', 'room2'], moderator: true })).code).toBe(403);
    expect((await c.user.post(mod(u2), { rooms: ['room2', 'no-such-room'], moderator: true })).code).toBe(403);

    // tokens are case-insensitive
    r = await c.user2.post(mod(u1), { rooms: ['ROOM2'], moderator: false });
    expect(r.code).toBe(200);
    expect(r.json()).toEqual({ info_updates: { room2: iu2 + 1 } });
    expect(await isRoomModerator(ctx, 'room2', c.user)).toEqual({ moderator: false, admin: false });
    // all-default rows are deleted
    expect(await overrideRow(ctx, 'room2', c.user)).toBeNull();

    // admin=true + moderator=true: one change, one bump
    r = await c.admin.post(mod(u1), { rooms: ['test-room'], admin: true, moderator: true });
    expect(r.json()).toEqual({ info_updates: { 'test-room': ++iu } });
    expect(await isRoomModerator(ctx, 'test-room', c.user)).toEqual({ moderator: true, admin: true });
    r = await c.admin.post(mod(u1), { rooms: ['test-room'], admin: false, moderator: false });
    expect(r.json()).toEqual({ info_updates: { 'test-room': ++iu } });
    expect(await isRoomModerator(ctx, 'test-room', c.user)).toEqual({ moderator: false, admin: false });

    // admin=false alone never creates a moderator; admin=false+moderator=true demotes
    r = await c.admin.post(mod(u1), { rooms: ['test-room'], admin: false });
    expect(r.json()).toEqual({ info_updates: { 'test-room': iu } });
    expect(await overrideRow(ctx, 'test-room', c.user)).toBeNull();
    await c.admin.post(mod(u1), { rooms: ['test-room'], admin: true });
    ++iu;
    r = await c.admin.post(mod(u1), { rooms: ['test-room'], admin: false, moderator: true });
    expect(r.json()).toEqual({ info_updates: { 'test-room': iu + 1 } });
    expect(await isRoomModerator(ctx, 'test-room', c.user)).toEqual({ moderator: true, admin: false });

    expect((await c.admin.post(mod(u1), { rooms: ['test-room'], admin: true, moderator: false })).code).toBe(400);
  });

  test('test_mod_visibility: rooms default visible, global hidden; room visibility alone does not bump', async () => {
    const u1 = c.user.sessionId!;
    await c.admin.post(mod(u1), { rooms: ['test-room'], moderator: true });
    expect((await overrideRow(ctx, 'test-room', c.user))!.visibleMod).toBe(true);
    let before = await infoUpdates(ctx);
    let r = await c.admin.post(mod(u1), { rooms: ['test-room'], moderator: true, visible: false });
    expect(r.code).toBe(200);
    expect((await overrideRow(ctx, 'test-room', c.user))!.visibleMod).toBe(false);
    expect(await infoUpdates(ctx)).toEqual(before);

    await c.globalAdmin.post(mod(u1), { global: true, moderator: true });
    expect((await userRow(ctx, c.user))!.visibleMod).toBe(false);
    before = await infoUpdates(ctx);
    r = await c.globalAdmin.post(mod(u1), { global: true, moderator: true, visible: true });
    expect((await userRow(ctx, c.user))!.visibleMod).toBe(true);
    // global visibility shows in every room's lists (protocol §7.3)
    expect(r.json()).toEqual({ info_updates: { 'test-room': before['test-room'] + 1, room2: before.room2 + 1 } });

    // removing a hidden room moderator resets visibility so the row goes away
    await c.admin.post(mod(u1), { rooms: ['test-room'], moderator: false });
    expect(await overrideRow(ctx, 'test-room', c.user)).toBeNull();
    expect((await c.admin.post(mod(u1), { rooms: ['test-room'], moderator: true, visible: 'yes' })).code).toBe(400);
  });

  test('test_bans: room and global bans/unbans, refusals, bad argument combinations', async () => {
    const u2 = c.user2.sessionId!;
    const ban = (sid: string) => `/user/${sid}/ban`;
    const unban = (sid: string) => `/user/${sid}/unban`;

    for (const body of [
      {},
      { rooms: [] },
      { rooms: ['test-room'], global: true },
      { rooms: ['*', 'test-room'] },
      { rooms: 'test-room' },
      { global: false },
      { global: 'yes' },
      { rooms: ['test-room'], timeout: '10' },
    ]) {
      expect({ body, code: (await c.mod.post(ban(u2), body)).code }).toEqual({ body, code: 400 });
    }
    expect((await c.mod.post(ban(u2), [])).code).toBe(400);
    expect((await c.mod.post(unban(u2), { rooms: ['test-room'], global: true })).code).toBe(400);

    // not a moderator / not of that room / unknown room / not global
    expect((await c.user.post(ban(u2), { rooms: ['test-room'] })).code).toBe(403);
    expect((await c.mod.post(ban(u2), { rooms: ['room2'] })).code).toBe(403);
    expect((await c.mod.post(ban(u2), { rooms: ['nope'] })).code).toBe(403);
    expect((await c.mod.post(ban(u2), { global: true })).code).toBe(403);
    // self, global moderators, room moderators by non-admins
    expect((await c.mod.post(ban(c.mod.sessionId!), { rooms: ['test-room'] })).code).toBe(403);
    expect((await c.mod.post(ban(c.globalMod.sessionId!), { rooms: ['test-room'] })).code).toBe(403);
    expect((await c.globalAdmin.post(ban(c.globalMod.sessionId!), { global: true })).code).toBe(403);
    expect((await c.mod.post(ban(c.admin.sessionId!), { rooms: ['test-room'] })).code).toBe(403);

    let r = await c.mod.post(ban(u2), { rooms: ['*'] });
    expect(r.code).toBe(200);
    expect(r.json()).toEqual({});
    expect((await overrideRow(ctx, 'test-room', c.user2))!.banned).toBe(true);
    expect(await overrideRow(ctx, 'room2', c.user2)).toBeNull();

    r = await c.mod.post(unban(u2), { rooms: ['test-room'] });
    expect(r.code).toBe(200);
    expect(r.json()).toEqual({});
    expect(await overrideRow(ctx, 'test-room', c.user2)).toBeNull();

    // an admin may ban a room moderator, which strips the moderator flags (+1 info_updates)
    const before = (await infoUpdates(ctx))['test-room'];
    r = await c.admin.post(ban(c.mod.sessionId!), { rooms: ['test-room'] });
    expect(r.code).toBe(200);
    expect(await overrideRow(ctx, 'test-room', c.mod)).toMatchObject({ banned: true, moderator: false, admin: false });
    expect((await infoUpdates(ctx))['test-room']).toBe(before + 1);

    // global ban: the banned user is refused everywhere (auth 403), anonymous still works
    expect((await c.user2.get('/inbox')).code).toBe(200);
    r = await c.globalMod.post(ban(u2), { global: true });
    expect(r.code).toBe(200);
    const banned = await c.user2.get('/inbox');
    expect(banned.code).toBe(403);
    expect(banned.text()).toBe('Banned');
    // room and global bans are independent (`mod` lost its moderator flags to the ban above)
    expect((await c.mod.post(ban(u2), { rooms: ['test-room'] })).code).toBe(403);
    expect((await c.admin.post(ban(u2), { rooms: ['test-room'] })).code).toBe(200);
    await c.globalMod.post(unban(u2), { global: true });
    expect((await c.user2.get('/inbox')).code).toBe(200);
    expect((await overrideRow(ctx, 'test-room', c.user2))!.banned).toBe(true);
    await c.globalMod.post(unban(u2), { rooms: ['*'] });
    expect(await overrideRow(ctx, 'test-room', c.user2)).toBeNull();
  });

  test('test_ban_timeouts: scheduled unbans, replacement, cancellation, nothing left behind', async () => {
    const u = c.user.sessionId!;
    const ban = `/user/${u}/ban`;
    const futures = async () => ctx.prisma.userBanFuture.findMany({ orderBy: { at: 'asc' } });
    const now = () => Date.now() / 1000;

    // timeout ≤ 0 is refused rather than silently meaning "permanent" (protocol §13)
    for (const timeout of [0, -5]) expect((await c.mod.post(ban, { rooms: ['test-room'], timeout })).code).toBe(400);
    expect(await futures()).toEqual([]);

    let t0 = now();
    expect((await c.mod.post(ban, { rooms: ['test-room'], timeout: 30 })).code).toBe(200);
    let f = await futures();
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ banned: false });
    expect(f[0].at).toBeGreaterThanOrEqual(t0 + 30);
    expect(f[0].at).toBeLessThan(now() + 30);

    // a shorter timeout replaces it
    expect((await c.mod.post(ban, { rooms: ['test-room'], timeout: 0.001 })).code).toBe(200);
    f = await futures();
    expect(f).toHaveLength(1);
    expect(f[0].at).toBeLessThan(now() + 1);

    // and a longer one again
    t0 = now();
    await c.mod.post(ban, { rooms: ['test-room'], timeout: 3600 });
    f = await futures();
    expect(f).toHaveLength(1);
    expect(f[0].at).toBeGreaterThanOrEqual(t0 + 3600);

    // the periodic job applies due unbans only
    expect(await c.moderation.applyDueFutures()).toEqual({ permissions: 0, bans: 0, mutes: 0 });
    expect((await overrideRow(ctx, 'test-room', c.user))!.banned).toBe(true);
    expect(await c.moderation.applyDueFutures(now() + 3601)).toEqual({ permissions: 0, bans: 1, mutes: 0 });
    expect(await overrideRow(ctx, 'test-room', c.user)).toBeNull();
    expect(await futures()).toEqual([]);

    // a permanent re-ban cancels the scheduled unban
    await c.mod.post(ban, { rooms: ['test-room'], timeout: 60 });
    await c.mod.post(ban, { rooms: ['test-room'] });
    expect(await futures()).toEqual([]);
    await c.moderation.applyDueFutures(now() + 120);
    expect((await overrideRow(ctx, 'test-room', c.user))!.banned).toBe(true);

    // global timed ban
    await c.globalMod.post(ban, { global: true, timeout: 60 });
    expect((await c.user.get('/inbox')).code).toBe(403);
    f = await futures();
    expect(f).toHaveLength(1);
    expect(f[0].roomId).toBeNull();
    expect(await c.moderation.applyDueFutures(now() + 61)).toEqual({ permissions: 0, bans: 1, mutes: 0 });
    expect((await c.user.get('/inbox')).code).toBe(200);
    expect(await futures()).toEqual([]);
  });
});
