import { SogsClient } from '../../../src/client';
import { ModerationService } from '../../../src/moderation/moderation.service';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';
import { community, overrideRow, userRow } from './community';

// protocol §14 test_blinding: the 05→15 transition (protocol §2.4).

const twin = (ctx: TestContext, client: SogsClient, opts: { blind: boolean; baseUrl?: string }) =>
  new SogsClient({ baseUrl: opts.baseUrl ?? ctx.url, serverPubkey: ctx.serverPubkeyHex, seed: client.seed!, blind: opts.blind });

describe('test_blinding', () => {
  let ctx: TestContext;
  afterEach(() => ctx?.close());

  test('test_blinded_transition: enabling blinding records 05 users; first blinded auth moves their rows; banned stays banned', async () => {
    ctx = await createTestContext({ config: { REQUIRE_BLIND_KEYS: false } });
    const moderation = ctx.server.app.get(ModerationService, { strict: false });
    const room = await createRoom(ctx, 'test-room');
    const room2 = await createRoom(ctx, 'room2');
    const r3 = await createRoom(ctx, 'R3', { read: false, write: false, accessible: false, upload: false });
    const [user, user2, mod, admin, globalMod, globalAdmin, banned, u3] = Array.from({ length: 8 }, () => ctx.newUser({ blind: false }));
    const sid = (c: SogsClient) => c.sessionId!;

    await moderation.addModerator(sid(mod), { rooms: ['test-room'] });
    await moderation.addModerator(sid(admin), { rooms: ['test-room'] }, { admin: true });
    await moderation.addModerator(sid(globalMod), { global: true });
    await moderation.addModerator(sid(globalAdmin), { global: true }, { admin: true });
    await moderation.ban(sid(banned), { global: true });
    await moderation.addModerator(sid(user), { rooms: ['R3'] }, { admin: true, visible: false });
    await moderation.setPermissions(r3, sid(user2), { read: true, write: true, accessible: true, upload: true });
    await moderation.setPermissions(r3, sid(mod), { read: true, accessible: true });
    await moderation.setPermissions(room, sid(user), { upload: false });
    await moderation.ban(sid(user2), { rooms: ['test-room'] }, 86400);
    await moderation.setPermissions(room2, sid(user2), { write: false, upload: false });
    await moderation.schedulePermissions(room, sid(user2), { write: true, upload: true }, 86400);
    expect((await u3.get('/capabilities')).code).toBe(200);

    const ids = async () => Object.fromEntries(await Promise.all([user, user2, mod, admin, globalMod, globalAdmin, banned, u3].map(async (c) => [(await userRow(ctx, c))!.id, c])));
    const byId = await ids();
    const idOf = (c: SogsClient) => Number(Object.keys(byId).find((k) => byId[k] === c));
    const pending = async () => new Set((await ctx.prisma.needsBlinding.findMany()).map((n) => n.userId));
    expect(await pending()).toEqual(new Set());

    // A server process started with blinding required records every 05 user holding state.
    const replica = await ctx.startReplica({ REQUIRE_BLIND_KEYS: true });
    const unmigrated = new Set([user, user2, mod, admin, globalMod, globalAdmin, banned].map(idOf));
    expect(await pending()).toEqual(unmigrated);

    for (const c of [user, user2, mod, admin, globalMod, globalAdmin, banned, u3]) {
      const blinded = twin(ctx, c, { blind: true, baseUrl: replica.url });
      const r = await blinded.get('/capabilities');
      if (c === banned) {
        expect(r.code).toBe(403);
        expect(r.text()).toBe('Banned');
      } else {
        expect(r.code).toBe(200);
      }
      unmigrated.delete(idOf(c));
      expect(await pending()).toEqual(unmigrated);
      const b = (await ctx.prisma.user.findUnique({ where: { sessionId: blinded.sessionId! } }))!;
      const old = (await ctx.prisma.user.findUnique({ where: { id: idOf(c) } }))!;
      // global flags moved, the 05 row keeps none
      expect(old).toMatchObject({ banned: false, moderator: false, admin: false });
      if (c === globalAdmin) expect(b).toMatchObject({ moderator: true, admin: true });
      if (c === globalMod) expect(b).toMatchObject({ moderator: true, admin: false });
      if (c === banned) expect(b.banned).toBe(true);
      if (c === u3) expect(b).toMatchObject({ banned: false, moderator: false, admin: false });
      expect(await ctx.prisma.userPermissionOverride.count({ where: { userId: idOf(c) } })).toBe(0);
    }
    expect(await pending()).toEqual(new Set());

    const blindedOf = (c: SogsClient) => twin(ctx, c, { blind: true });
    expect(await overrideRow(ctx, 'test-room', blindedOf(mod))).toMatchObject({ moderator: true, admin: false });
    expect(await overrideRow(ctx, 'test-room', blindedOf(admin))).toMatchObject({ moderator: true, admin: true });
    expect(await overrideRow(ctx, 'R3', blindedOf(user))).toMatchObject({ moderator: true, admin: true, visibleMod: false });
    expect(await overrideRow(ctx, 'R3', blindedOf(user2))).toMatchObject({ read: true, write: true, accessible: true, upload: true });
    expect(await overrideRow(ctx, 'test-room', blindedOf(user))).toMatchObject({ upload: false });
    expect(await overrideRow(ctx, 'test-room', blindedOf(user2))).toMatchObject({ banned: true });
    expect(await overrideRow(ctx, 'room2', blindedOf(user2))).toMatchObject({ write: false, upload: false });
    const b2 = (await userRow(ctx, blindedOf(user2)))!;
    expect((await ctx.prisma.userPermissionFuture.findMany()).map((f) => f.userId)).toEqual([b2.id]);
    expect((await ctx.prisma.userBanFuture.findMany()).map((f) => f.userId)).toEqual([b2.id]);
    void room2;
  });

  test('test_auto_blinding: changes on 05 ids go to the known blinded user, else wait for it', async () => {
    ctx = await createTestContext();
    const c = await community(ctx);
    const as05 = (client: SogsClient) => twin(ctx, client, { blind: false }).sessionId!;
    const pendingCount = () => ctx.prisma.needsBlinding.count();
    expect(await pendingCount()).toBe(0);

    // user2 has never been seen blinded: the ban lands on the 05 user and is recorded
    expect((await c.mod.post(`/user/${as05(c.user2)}/ban`, { rooms: ['test-room'] })).code).toBe(200);
    await c.mod.post(`/room/test-room/permissions/${as05(c.user)}`, { write: true });
    await c.mod.post(`/room/test-room/permissions/${as05(c.user)}`, { write: false });
    await c.mod.post(`/room/test-room/permissions/${as05(c.user)}`, { upload: false });
    const user05 = (await ctx.prisma.user.findUnique({ where: { sessionId: as05(c.user) } }))!;
    const user2_05 = (await ctx.prisma.user.findUnique({ where: { sessionId: as05(c.user2) } }))!;
    const room = (await ctx.prisma.room.findFirst({ where: { token: 'test-room' } }))!;
    const o = (userId: number) => ctx.prisma.userPermissionOverride.findUnique({ where: { roomId_userId: { roomId: room.id, userId } } });
    expect(await o(user05.id)).toMatchObject({ banned: false, write: false, upload: false });
    expect(await o(user2_05.id)).toMatchObject({ banned: true, write: null });
    expect(await pendingCount()).toBe(2);

    // user2's first blinded request takes the ban over
    const r = await c.user2.get('/capabilities');
    expect(r.code).toBe(200);
    expect(await o(user2_05.id)).toBeNull();
    expect(await overrideRow(ctx, 'test-room', c.user2)).toMatchObject({ banned: true });
    expect(await pendingCount()).toBe(1);

    // now known: 05 ids act on the blinded user directly
    await c.mod.post(`/user/${as05(c.user2)}/unban`, { rooms: ['test-room'] });
    expect(await overrideRow(ctx, 'test-room', c.user2)).toBeNull();
    await c.mod.post(`/user/${as05(c.user2)}/ban`, { rooms: ['test-room'] });
    expect(await overrideRow(ctx, 'test-room', c.user2)).toMatchObject({ banned: true });
    expect(await o(user2_05.id)).toBeNull();
    expect(await pendingCount()).toBe(1);

    // global bans likewise
    const u3 = ctx.newUser();
    const u3_05 = as05(u3);
    await c.globalAdmin.post(`/user/${u3_05}/ban`, { global: true });
    await c.globalAdmin.post(`/user/${u3_05}/unban`, { global: true });
    await c.globalAdmin.post(`/user/${u3_05}/ban`, { global: true });
    expect(await pendingCount()).toBe(2);
    expect((await ctx.prisma.user.findUnique({ where: { sessionId: u3_05 } }))!.banned).toBe(true);
    expect((await u3.get('/capabilities')).code).toBe(403);
    expect(await pendingCount()).toBe(1);
    expect((await userRow(ctx, u3))!.banned).toBe(true);
    expect((await ctx.prisma.user.findUnique({ where: { sessionId: u3_05 } }))!.banned).toBe(false);
    await c.globalAdmin.post(`/user/${u3.sessionId}/unban`, { global: true });
    expect((await u3.get('/capabilities')).code).toBe(200);
    await c.globalAdmin.post(`/user/${u3_05}/ban`, { global: true });
    expect((await userRow(ctx, u3))!.banned).toBe(true);
    expect((await ctx.prisma.user.findUnique({ where: { sessionId: u3_05 } }))!.banned).toBe(false);

    // moderator grants too
    expect((await c.user.get('/capabilities')).code).toBe(200);
    expect(await pendingCount()).toBe(0);
    expect(await overrideRow(ctx, 'test-room', c.user)).toMatchObject({ write: false, upload: false });
    await c.globalAdmin.post(`/user/${as05(c.user)}/moderator`, { rooms: ['test-room'], moderator: true });
    expect(await overrideRow(ctx, 'test-room', c.user)).toMatchObject({ moderator: true, admin: false });
    expect(await o(user05.id)).toBeNull();
  });
});
