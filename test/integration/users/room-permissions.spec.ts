import { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { community, overrideRow, type Community } from './community';

// protocol §14 test_room_routes, permission parts: GET/POST /room/:token/permissions[/:sid] and
// /futurePermissions[/:sid] (protocol §6.7), futures applied by the periodic job (protocol §9.4 step 5).

/** Future entries without their `at` (asserted separately). */
const strip = (list: unknown) => (list as Array<Record<string, unknown>>).map(({ at: _at, ...rest }) => rest);

describe('test_room_routes (permissions)', () => {
  let ctx: TestContext;
  let c: Community;
  const perms = (sid?: string) => `/room/test-room/permissions${sid ? `/${sid}` : ''}`;
  const futures = (sid?: string) => `/room/test-room/futurePermissions${sid ? `/${sid}` : ''}`;

  beforeEach(async () => {
    ctx = await createTestContext();
    c = await community(ctx);
  });
  afterEach(() => ctx.close());

  test('test_get_room_perms: moderator only (403 for users, 401 anonymous, 404 unknown room)', async () => {
    expect((await c.user.get(perms())).code).toBe(403);
    expect((await c.user.get(futures())).code).toBe(403);
    expect((await ctx.anon().get(perms())).code).toBe(401);
    expect((await c.mod.get('/room/nope/permissions')).code).toBe(404);
  });

  test('test_get_room_perms_as_mod / as_admin: shapes of mod and admin rows', async () => {
    let r = await c.mod.get(perms());
    expect(r.code).toBe(200);
    expect(r.json()).toEqual({ [c.mod.sessionId!]: { moderator: true }, [c.admin.sessionId!]: { admin: true } });
    r = await c.admin.get('/room/TEST-ROOM/permissions');
    expect(r.code).toBe(200);
    expect(r.json<Record<string, unknown>>()[c.admin.sessionId!]).toEqual({ admin: true });
    // global moderators may use it in every room
    expect((await c.globalMod.get('/room/room2/permissions')).json()).toEqual({});
  });

  test('test_get_room_future_perms: empty list for mods', async () => {
    const r = await c.mod.get(futures());
    expect(r.code).toBe(200);
    expect(r.json()).toEqual([]);
  });

  test('test_set_room_perms: set, reset to default, clear all; bad requests are 400', async () => {
    const u = c.user.sessionId!;
    let r = await c.mod.post(perms(u), { read: true, write: false });
    expect(r.code).toBe(200);
    expect(r.json()).toEqual({ read: true, write: false });

    r = await c.mod.post(perms(u), { default_read: true });
    expect(r.json()).toEqual({ write: false });

    r = await c.mod.post(perms(u), { default_read: true, write: false, upload: false, accessible: true });
    expect(r.json()).toEqual({ write: false, upload: false, accessible: true });

    r = await c.mod.get(perms());
    expect(r.json()).toEqual({
      [c.mod.sessionId!]: { moderator: true },
      [c.admin.sessionId!]: { admin: true },
      [u]: { write: false, upload: false, accessible: true },
    });
    expect((await c.mod.get(perms(u))).json()).toEqual({ write: false, upload: false, accessible: true });
    // uppercase hex is the same user (protocol §13)
    expect((await c.mod.get(perms(u.toUpperCase()))).json()).toEqual({ write: false, upload: false, accessible: true });

    r = await c.mod.post(perms(u), { default_read: true, default_write: true, default_upload: true, default_accessible: true });
    expect(r.code).toBe(200);
    expect(r.json()).toEqual({});
    // the all-default row is gone, and a user without a row reads as {} (pysogs 500s)
    expect(await overrideRow(ctx, 'test-room', c.user)).toBeNull();
    expect((await c.mod.get(perms(u))).json()).toEqual({});
    expect((await c.mod.get(perms(c.user2.sessionId!))).json()).toEqual({});

    expect((await c.mod.post(perms(u), {})).code).toBe(400);
    expect((await c.mod.post(perms(u), { read: true, default_read: true })).code).toBe(400);
    expect((await c.mod.post(perms(u), { read: 'yes' })).code).toBe(400);
    expect((await c.mod.post(perms('25' + 'ab'.repeat(32)), { read: true })).code).toBe(404);
    expect((await c.user.post(perms(u), { read: true })).code).toBe(403);
  });

  test('test_set_room_perm_futures: via /sequence, cleanup application, 403 for users', async () => {
    const u = c.user.sessionId!;
    const t0 = Date.now() / 1000;
    const r = await c.mod.sequence([
      { method: 'POST', path: perms(u), json: { read: true, write: false, upload: false, accessible: true } },
      { method: 'POST', path: futures(u), json: { write: true, upload: true, in: 0.001 } },
    ]);
    expect(r.code).toBe(200);
    expect(r.items.map((i) => i.code)).toEqual([200, 200]);
    expect(r.items[0].body).toEqual({ read: true, write: false, upload: false, accessible: true });
    const scheduled = r.items[1].body as Array<{ at: number }>;
    expect(strip(scheduled)).toEqual([{ upload: true, write: true }]);
    expect(scheduled[0].at).toBeGreaterThanOrEqual(t0);
    expect(scheduled[0].at).toBeLessThan(t0 + 5);

    ctx.clock.advance(5);
    let list = (await c.mod.get(futures())).json<Array<{ at: number }>>();
    expect(strip(list)).toEqual([{ session_id: u, upload: true, write: true }]);

    const r2 = await c.mod.post(futures(u), { in: 30, write: false, upload: false, read: false });
    expect(r2.code).toBe(200);
    list = r2.json();
    expect(strip(list)).toEqual([
      { upload: true, write: true },
      { upload: false, write: false, read: false },
    ]);
    expect(list[1].at).toBeGreaterThanOrEqual(t0 + 30);

    expect(await c.moderation.applyDueFutures()).toEqual({ permissions: 1, bans: 0, mutes: 0 });
    // write/upload equal the room defaults, so the overrides are cleared rather than set
    expect((await c.mod.get(perms(u))).json()).toEqual({ read: true, accessible: true });
    list = (await c.mod.get(futures(u))).json();
    expect(strip(list)).toEqual([{ upload: false, write: false, read: false }]);
    expect((await c.mod.get(perms())).json()).toEqual({
      [u]: { read: true, accessible: true },
      [c.mod.sessionId!]: { moderator: true },
      [c.admin.sessionId!]: { admin: true },
    });

    expect((await c.user.get(perms(u))).code).toBe(403);
    expect((await c.user.get(futures(u))).code).toBe(403);
    expect((await c.user.post(futures(u), { in: 30, write: true })).code).toBe(403);

    // the later future applies too, and setting a permission unschedules that flag
    await c.moderation.applyDueFutures(Date.now() / 1000 + 31);
    expect((await c.mod.get(perms(u))).json()).toEqual({ read: false, write: false, upload: false, accessible: true });
    await c.mod.post(futures(u), { in: 60, write: true, read: true });
    await c.mod.post(perms(u), { write: false });
    expect(strip((await c.mod.get(futures(u))).json())).toEqual([{ read: true }]);
    // read cleared too: the emptied future row is deleted (protocol §13 "= NULL" bug)
    await c.mod.post(perms(u), { read: false });
    expect((await c.mod.get(futures(u))).json()).toEqual([]);
    expect(await ctx.prisma.userPermissionFuture.count()).toBe(0);
    // unschedule: false keeps scheduled changes
    await c.mod.post(futures(u), { in: 60, write: true });
    await c.mod.post(perms(u), { write: false, unschedule: false });
    expect(strip((await c.mod.get(futures(u))).json())).toEqual([{ write: true }]);
  });

  test('futurePermissions validation: at least one flag, 0 < in < 1e9', async () => {
    const u = c.user.sessionId!;
    for (const body of [{ in: 10 }, { write: true }, { write: true, in: 0 }, { write: true, in: -1 }, { write: true, in: 1e9 }, { write: true, in: '10' }]) {
      expect({ body, code: (await c.mod.post(futures(u), body)).code }).toEqual({ body, code: 400 });
    }
    expect(await ctx.prisma.userPermissionFuture.count()).toBe(0);
  });

  test('scheduled room bans are listed as futures with banned: false', async () => {
    const u = c.user.sessionId!;
    await c.mod.post(`/user/${u}/ban`, { rooms: ['test-room'], timeout: 100 });
    expect((await c.mod.get(perms(u))).json()).toEqual({ banned: true });
    expect(strip((await c.mod.get(futures())).json())).toEqual([{ session_id: u, banned: false }]);
    expect(strip((await c.mod.get(futures(u))).json())).toEqual([{ banned: false }]);
  });

  test('test_set_room_perms_blinding: known blinded ids receive changes made to 05 ids; others move on first auth', async () => {
    // `user` has authenticated (blinded); `user2` is only known by its 05 id so far.
    const unblinded = (client: SogsClient) => new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed: client.seed!, blind: false });
    const user05 = unblinded(c.user).sessionId!;
    const user2 = ctx.newUser();
    const user2_05 = unblinded(user2).sessionId!;
    expect((await c.user.get('/capabilities')).code).toBe(200);

    const r = await c.mod.sequence([
      { method: 'POST', path: perms(user05), json: { read: true, write: false } },
      { method: 'POST', path: futures(user05), json: { write: true, in: 0.001 } },
      { method: 'POST', path: perms(user2_05), json: { upload: false } },
      { method: 'POST', path: futures(user2_05), json: { upload: true, in: 0.002 } },
    ]);
    expect(r.items.map((i) => [i.code, Array.isArray(i.body) ? strip(i.body) : i.body])).toEqual([
      [200, { read: true, write: false }],
      [200, [{ write: true }]],
      [200, { upload: false }],
      [200, [{ upload: true }]],
    ]);

    expect((await c.mod.get(perms())).json()).toEqual({
      [c.user.sessionId!]: { read: true, write: false },
      [user2_05]: { upload: false },
      [c.mod.sessionId!]: { moderator: true },
      [c.admin.sessionId!]: { admin: true },
    });
    expect(strip((await c.mod.get(futures())).json())).toEqual([
      { session_id: c.user.sessionId, write: true },
      { session_id: user2_05, upload: true },
    ]);

    // user2's first blinded request moves the override and the future to its 15 id
    expect((await user2.get('/capabilities')).code).toBe(200);
    expect((await c.mod.get(perms())).json()).toEqual({
      [c.user.sessionId!]: { read: true, write: false },
      [user2.sessionId!]: { upload: false },
      [c.mod.sessionId!]: { moderator: true },
      [c.admin.sessionId!]: { admin: true },
    });
    expect(strip((await c.mod.get(futures())).json())).toEqual([
      { session_id: c.user.sessionId, write: true },
      { session_id: user2.sessionId, upload: true },
    ]);

    // either form of the id reads the same rows
    expect((await c.mod.get(perms(user05))).json()).toEqual({ read: true, write: false });
    expect((await c.mod.get(perms(c.user.sessionId!))).json()).toEqual({ read: true, write: false });
    expect(strip((await c.mod.get(futures(user2_05))).json())).toEqual([{ upload: true }]);
    expect(strip((await c.mod.get(futures(user2.sessionId!))).json())).toEqual([{ upload: true }]);
  });
});
