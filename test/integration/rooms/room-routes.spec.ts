// protocol §14 test_room_routes scenarios, through onion-wrapped signed requests.
import type { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { banInRoom, createRoom, expectStatus, grantGlobal, grantRoom, messageBody, post, setOverride, userOf } from '../../support/rooms-fixtures';

type Json = Record<string, unknown>;

describe('room routes (protocol §6.2, §6.3, §6.5, §7)', () => {
  let ctx: TestContext;
  let user: SogsClient, user2: SogsClient, mod: SogsClient, admin: SogsClient, globalMod: SogsClient, globalAdmin: SogsClient;

  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0 } });
    [user, user2, mod, admin, globalMod, globalAdmin] = Array.from({ length: 6 }, () => ctx.newUser());
  });
  afterAll(() => ctx?.close());

  let n = 0;
  /** A fresh room per test with the reference fixture roles. */
  async function room(defaults: Parameters<typeof createRoom>[2] = {}): Promise<string> {
    const token = `room-${++n}`;
    await createRoom(ctx, token, defaults);
    await grantRoom(ctx, token, mod);
    await grantRoom(ctx, token, admin, { admin: true });
    return token;
  }
  const json = async <T = Json>(client: SogsClient, path: string, code = 200): Promise<T> => {
    const res = await client.get(path);
    expectStatus(res, code);
    return res.json<T>();
  };

  beforeAll(async () => {
    await grantGlobal(ctx, globalMod);
    await grantGlobal(ctx, globalAdmin, { admin: true });
  });

  it('test_list_rooms / test_room_info: anonymous, user, mod and admin views', async () => {
    const token = await room();
    const anon = await json(ctx.anon(), `/room/${token}`);
    expect(anon).toMatchObject({ token, name: token, info_updates: 0, message_sequence: 0, read: true, write: true, upload: true });
    expect(anon.moderators).toEqual([mod.sessionId]);
    expect(anon.admins).toEqual([admin.sessionId]);
    for (const key of ['moderator', 'admin', 'hidden_moderators', 'hidden_admins', 'default_read', 'description', 'image_id', 'pinned_messages'])
      expect(anon).not.toHaveProperty(key);

    const asMod = await json(mod, `/room/${token}`);
    expect(asMod).toMatchObject({ moderator: true, default_read: true, default_accessible: true, default_write: true, default_upload: true });
    expect(asMod).not.toHaveProperty('admin');
    // hidden global mods/admins only for moderators (system user never listed)
    expect(asMod.hidden_moderators).toEqual([globalMod.sessionId]);
    expect(asMod.hidden_admins).toEqual([globalAdmin.sessionId]);
    expect(await json(admin, `/room/${token}`)).toMatchObject({ moderator: true, admin: true });
    expect(await json(globalAdmin, `/room/${token}`)).toMatchObject({ moderator: true, admin: true, global_moderator: true, global_admin: true });
    expect(await json(user, `/room/${token}`)).not.toHaveProperty('hidden_moderators');

    // case-insensitive token, original case in the reply
    expect((await json(user, `/room/${token.toUpperCase()}`)).token).toBe(token);
    expectStatus(await user.get('/room/no-such-room'), 404);

    const list = await json<Json[]>(user, '/rooms');
    expect(list.map((r) => r.token)).toContain(token);
  });

  it('test_visible_global_mods: a visible global admin is listed for everyone', async () => {
    const token = await room();
    const visible = ctx.newUser();
    await grantGlobal(ctx, visible, { admin: true, visible: true });
    expect((await json(user, `/room/${token}`)).admins).toEqual([admin.sessionId, visible.sessionId].sort());
    await ctx.prisma.user.update({ where: { sessionId: visible.sessionId! }, data: { moderator: false, admin: false } });
  });

  it('test_secret_rooms: inaccessible rooms are 404 and not listed; read=false but accessible shows info', async () => {
    const secret = await room({ read: false, accessible: false });
    const hidden = await room({ read: false, accessible: true });
    expectStatus(await user.get(`/room/${secret}`), 404);
    expectStatus(await ctx.anon().get(`/room/${secret}`), 404);
    expect(await json(mod, `/room/${secret}`)).toMatchObject({ token: secret, read: true });
    expect(await json(user, `/room/${hidden}`)).toMatchObject({ read: false, write: true });
    const tokens = (await json<Json[]>(user, '/rooms')).map((r) => r.token);
    expect(tokens).not.toContain(secret);
    expect(tokens).toContain(hidden);
    expect((await json<Json[]>(globalMod, '/rooms')).map((r) => r.token)).toContain(secret);
    const pollRes = await user.get(`/room/${hidden}/pollInfo/0`);
    expectStatus(pollRes, 403);
    expect(pollRes.text()).toBe("This endpoint requires room message 'read' permission");

    const banned = ctx.newUser();
    await banInRoom(ctx, hidden, banned);
    expectStatus(await banned.get(`/room/${hidden}`), 404);
  });

  it('test_updates: PUT /room bumps info_updates exactly, strips control chars, 400 on bad args', async () => {
    const token = await room();
    const put = (client: SogsClient, body: Json) => client.put(`/room/${token}`, body);
    expectStatus(await put(ctx.anon(), { name: 'x' }), 401);
    const denied = await put(mod, { name: 'x' });
    expectStatus(denied, 403);
    expect(denied.text()).toBe('This endpoint requires admin room permissions');

    let res = await put(admin, { name: 'New\u0001 name\n', description: 'Line 1\nLine\t2\u0007' });
    expectStatus(res, 200);
    expect(res.json()).toEqual({ info_updates: 2 });
    expect(await json(user, `/room/${token}`)).toMatchObject({ name: 'New name', description: 'Line 1\nLine\t2', info_updates: 2 });

    res = await put(admin, { default_write: false, default_upload: false });
    expect(res.json()).toEqual({ info_updates: 2 });
    expect(await json(user, `/room/${token}`)).toMatchObject({ write: false, upload: false });

    res = await put(globalAdmin, { description: '' });
    expect(res.json()).toEqual({ info_updates: 3 });
    expect(await json(user, `/room/${token}`)).not.toHaveProperty('description');

    for (const bad of [{}, { name: 42 }, { description: ['x'] }, { default_read: 'yes' }, { image: 'abc' }, { image: 1.5 }]) {
      expectStatus(await put(admin, bad), 400);
    }
    expectStatus(await put(admin, { image: 999999 }), 406);
  });

  it('test_polling: pollInfo details only when info_updates differs; posts and edits do not bump it', async () => {
    const token = await room();
    const info = await json(user, `/room/${token}/pollInfo/0`);
    expect(info).toEqual({ token, active_users: 0, read: true, write: true, upload: true });
    expect(await json(mod, `/room/${token}/pollInfo/0`)).toMatchObject({ moderator: true, default_read: true });

    const m = await post(user, token);
    expectStatus(await user.put(`/room/${token}/message/${m.id}`, messageBody('edited')), 200);
    expect(await json(user, `/room/${token}/pollInfo/0`)).not.toHaveProperty('details');

    await admin.put(`/room/${token}`, { name: 'Renamed' });
    const changed = await json<{ details: Json }>(user, `/room/${token}/pollInfo/0`);
    expect(changed.details).toMatchObject({ token, name: 'Renamed', info_updates: 1, message_sequence: 2 });
    expect(await json(user, `/room/${token}/pollInfo/1`)).not.toHaveProperty('details');

    // room-level moderator grant → +1 (done by the users module through bumpInfoUpdates in production)
    await grantGlobal(ctx, user2, { visible: true });
    await ctx.prisma.room.updateMany({ where: { token }, data: { infoUpdates: { increment: 1 } } });
    expect((await json<{ details: Json }>(user, `/room/${token}/pollInfo/1`)).details.moderators).toContain(user2.sessionId);
    await ctx.prisma.user.update({ where: { sessionId: user2.sessionId! }, data: { moderator: false, visibleMod: false } });
  });

  it('test_fetch_since / test_fetch_since_skip_deletions: the §7.2 worked example', async () => {
    const token = await room();
    const ids: number[] = [];
    for (let i = 1; i <= 10; i++) {
      const m = await post(user, token);
      expect(m.seqno).toBe(i);
      ids.push(m.id);
    }
    for (const i of [2, 4, 5, 8, 9]) expectStatus(await user.delete(`/room/${token}/message/${ids[i - 1]}`), 200);
    const since = async (s: number) => (await json<Json[]>(user, `/room/${token}/messages/since/${s}`)).map((m) => [ids.indexOf(m.id as number) + 1, m.seqno, m.data === null]);
    expect(await since(1)).toEqual([
      [3, 3, false],
      [6, 6, false],
      [7, 7, false],
      [10, 10, false],
    ]);
    expect(await since(2)).toEqual([
      [3, 3, false],
      [6, 6, false],
      [7, 7, false],
      [10, 10, false],
      [2, 11, true],
    ]);
    expect(await since(10)).toEqual([
      [2, 11, true],
      [4, 12, true],
      [5, 13, true],
      [8, 14, true],
      [9, 15, true],
    ]);
    expect(await since(15)).toEqual([]);
    const [tomb] = await json<Json[]>(user, `/room/${token}/messages/since/10?limit=1`);
    expect(Object.keys(tomb).sort()).toEqual(['data', 'deleted', 'edited', 'id', 'posted', 'seqno', 'session_id']);
    expect(tomb).toMatchObject({ id: ids[1], seqno: 11, data: null, deleted: true, session_id: user.sessionId });

    // since/0 returns everything from the start, limit paginates, bad limit → 400
    expect((await json<Json[]>(user, `/room/${token}/messages/since/0`)).map((m) => m.seqno)).toEqual([1, 3, 6, 7, 10]);
    expect((await json<Json[]>(user, `/room/${token}/messages/since/0?limit=2`)).map((m) => m.seqno)).toEqual([1, 3]);
    expectStatus(await user.get(`/room/${token}/messages/since/0?limit=abc`), 400);
    expectStatus(await user.get(`/room/${token}/messages/since/0?reactors=1.5`), 400);
    expect(await json<Json[]>(user, `/room/${token}/messages/since/0?limit=0`)).toHaveLength(1);
  });

  it('test_recent / test_fetch_before: newest first, pagination, no tombstones', async () => {
    const token = await room();
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push((await post(user, token)).id);
    await user.delete(`/room/${token}/message/${ids[29]}`);
    const recent = await json<Json[]>(ctx.anon(), `/room/${token}/messages/recent?limit=10`);
    expect(recent.map((m) => m.id)).toEqual(ids.slice(19, 29).reverse());
    const before = await json<Json[]>(ctx.anon(), `/room/${token}/messages/before/${ids[19]}?limit=25`);
    expect(before.map((m) => m.id)).toEqual(ids.slice(0, 19).reverse());
    expect(await json<Json[]>(ctx.anon(), `/room/${token}/messages/before/${ids[0]}`)).toEqual([]);
    expect(await json<Json[]>(ctx.anon(), `/room/${token}/messages/recent?limit=1000`)).toHaveLength(29);
  });

  it('test_fetch_one: single message, 404 for deleted/missing', async () => {
    const token = await room();
    const m = await post(user, token);
    expect(await json(ctx.anon(), `/room/${token}/message/${m.id}`)).toEqual({ ...m, reactions: {} });
    await user.delete(`/room/${token}/message/${m.id}`);
    expectStatus(await ctx.anon().get(`/room/${token}/message/${m.id}`), 404);
    expectStatus(await ctx.anon().get(`/room/${token}/message/99999`), 404);
    expectStatus(await ctx.anon().get(`/room/${token}/message/abc`), 404);
  });

  it('test_posting: 201 shape, unpadded base64, string file ids and extra fields, bad input → 400', async () => {
    const token = await room();
    const body = messageBody('padded body');
    const res = await user.post(`/room/${token}/message`, {
      ...body,
      data: body.data.replace(/=+$/, ''),
      signature: body.signature.replace(/=+$/, ''),
      timestamp: 123,
      files: ['12'],
    });
    expectStatus(res, 201);
    const m = res.json<Json>();
    expect(Object.keys(m).sort()).toEqual(['data', 'id', 'posted', 'reactions', 'seqno', 'session_id', 'signature']);
    expect(m).toMatchObject({ session_id: user.sessionId, seqno: 1, data: body.data, signature: body.signature, reactions: {} });
    expect(Math.abs((m.posted as number) - Date.now() / 1000)).toBeLessThan(60);

    for (const bad of [
      { signature: body.signature },
      { data: body.data },
      { data: body.data, signature: Buffer.alloc(63).toString('base64') },
      { data: 'not base64!', signature: body.signature },
      { data: body.data, signature: body.signature, files: 'x' },
    ]) {
      expectStatus(await user.post(`/room/${token}/message`, bad), 400);
    }
    expectStatus(await ctx.anon().post(`/room/${token}/message`, body), 401);
    await setOverride(ctx, token, user2, { write: false });
    const denied = await user2.post(`/room/${token}/message`, messageBody());
    expectStatus(denied, 403);
  });

  it('test_whisper_to / test_whisper_mods / test_whisper_both: visibility matrix (protocol §7.4)', async () => {
    const token = await room();
    const plain = await post(user, token);
    const toUser = await post(mod, token, { whisper_to: user.sessionId });
    const toMods = await post(mod, token, { whisper_mods: true });
    const both = await post(mod, token, { whisper_to: user2.sessionId, whisper_mods: true });
    const otherMod = ctx.newUser();
    await grantRoom(ctx, token, otherMod);
    const fromOther = await post(otherMod, token, { whisper_to: user.sessionId });

    expect(toUser).toMatchObject({ whisper: true, whisper_mods: false, whisper_to: user.sessionId });
    expect(both).toMatchObject({ whisper: true, whisper_mods: true, whisper_to: user2.sessionId });
    expectStatus(await user.post(`/room/${token}/message`, { ...messageBody(), whisper_mods: true }), 403);
    expectStatus(await user.post(`/room/${token}/message`, { ...messageBody(), whisper_to: user2.sessionId }), 403);

    const seen = async (client: SogsClient) => (await json<Json[]>(client, `/room/${token}/messages/since/0`)).map((m) => m.id);
    expect(await seen(ctx.anon())).toEqual([plain.id]);
    expect(await seen(user)).toEqual([plain.id, toUser.id, fromOther.id]);
    expect(await seen(user2)).toEqual([plain.id, both.id]);
    expect(await seen(ctx.newUser())).toEqual([plain.id]);
    expect(await seen(mod)).toEqual([plain.id, toUser.id, toMods.id, both.id]);
    expect(await seen(otherMod)).toEqual([plain.id, toMods.id, both.id, fromOther.id]);
    expect(await seen(globalMod)).toEqual([plain.id, toMods.id, both.id]);
    expectStatus(await user2.get(`/room/${token}/message/${toUser.id}`), 404);
    expectStatus(await user.get(`/room/${token}/message/${toUser.id}`), 200);
    // whispers cannot be reacted to or pinned
    expectStatus(await user.put(`/room/${token}/reaction/${toUser.id}/👍`, {}), 404);
    expectStatus(await admin.post(`/room/${token}/pin/${toMods.id}`, {}), 404);
  });

  it('test_edits: only the author, new seqno and edited, posted kept', async () => {
    const token = await room();
    const m = await post(user, token);
    const edit = messageBody('new text');
    expectStatus(await user2.put(`/room/${token}/message/${m.id}`, edit), 403);
    expectStatus(await admin.put(`/room/${token}/message/${m.id}`, edit), 403);
    expectStatus(await user.put(`/room/${token}/message/99999`, edit), 404);
    const res = await user.put(`/room/${token}/message/${m.id}`, edit);
    expectStatus(res, 200);
    expect(res.json()).toEqual({});
    const [updated] = await json<Json[]>(user, `/room/${token}/messages/since/1`);
    expect(updated).toMatchObject({ id: m.id, seqno: 2, posted: m.posted, data: edit.data, signature: edit.signature });
    expect(updated.edited).toBeGreaterThanOrEqual(m.posted);
    const history = await ctx.prisma.messageHistory.findMany({ where: { messageId: m.id } });
    expect(history).toHaveLength(1);
    expect(Buffer.from(history[0].data!).toString('base64')).toBe(m.data);
  });

  it('test_delete: own, others as mod, non-existing, banned', async () => {
    const token = await room();
    const a = await post(user, token);
    const b = await post(user, token);
    const c = await post(user, token);
    expectStatus(await user2.delete(`/room/${token}/message/${a.id}`), 403);
    expectStatus(await user.delete(`/room/${token}/message/${a.id}`), 200);
    expectStatus(await user.delete(`/room/${token}/message/${a.id}`), 404);
    expectStatus(await mod.delete(`/room/${token}/message/${b.id}`), 200);
    await banInRoom(ctx, token, user);
    expectStatus(await user.delete(`/room/${token}/message/${c.id}`), 403);
    expectStatus(await ctx.anon().delete(`/room/${token}/message/${c.id}`), 401);
  });

  it('test_delete_all: mod, self, forbidden cases; all rooms', async () => {
    const token = await room();
    const other = await room();
    const user = ctx.newUser(); // posts nowhere else, so the all-rooms totals are exact
    for (let i = 0; i < 3; i++) await post(user, token);
    await post(user, other);
    await post(user2, token);
    await post(admin, token);
    const path = (sid: string | null) => `/room/${token}/all/${sid}`;

    expectStatus(await ctx.anon().delete(path(user.sessionId)), 401);
    expectStatus(await user2.delete(path(user.sessionId)), 403);
    expectStatus(await mod.delete(path(admin.sessionId)), 403);
    expectStatus(await mod.delete(path('15' + '0'.repeat(64))), 404);
    expectStatus(await mod.delete(`/room/${token}/all/nonsense`), 404);
    expectStatus(await mod.delete(path(user.sessionId)), 200);
    expectStatus(await mod.delete(path(user.sessionId)), 404);
    expect((await json<Json[]>(user, `/room/${token}/messages/recent`)).map((m) => m.session_id).sort()).toEqual([user2.sessionId, admin.sessionId].sort());
    expectStatus(await user2.delete(path(user2.sessionId)), 200);
    expectStatus(await admin.delete(path(admin.sessionId)), 200);

    const res = await user.delete(`/rooms/all/${user.sessionId}`);
    expectStatus(res, 200);
    const body = res.json<{ total: number; rooms: Record<string, number> }>();
    expect(body.total).toBe(1);
    expect(body.rooms[other]).toBe(1);
    expect(body.rooms[token]).toBe(0);
    expectStatus(await user.delete(`/rooms/all/15${'1'.repeat(64)}`), 404);
  });

  it('test_pinning: order, re-pin, unpin, unpin all, admin only, info_updates', async () => {
    const token = await room();
    const [a, b, c] = [await post(user, token), await post(user, token), await post(user, token)];
    expectStatus(await ctx.anon().post(`/room/${token}/pin/${a.id}`, {}), 403);
    expectStatus(await mod.post(`/room/${token}/pin/${a.id}`, {}), 403);
    const pin = async (id: number) => {
      const res = await admin.post(`/room/${token}/pin/${id}`, {});
      expectStatus(res, 200);
      return res.json<{ info_updates: number }>().info_updates;
    };
    expect(await pin(a.id)).toBe(1);
    expect(await pin(b.id)).toBe(2);
    expect(await pin(c.id)).toBe(3);
    expect(await pin(a.id)).toBe(4); // re-pin moves to the end
    const pins = (await json<{ pinned_messages: Json[] }>(user, `/room/${token}`)).pinned_messages;
    expect(pins.map((p) => p.id)).toEqual([b.id, c.id, a.id]);
    expect(pins[0]).toMatchObject({ pinned_by: admin.sessionId });
    expectStatus(await admin.post(`/room/${token}/pin/999999`, {}), 404);

    let res = await admin.post(`/room/${token}/unpin/${b.id}`, {});
    expect(res.json()).toEqual({ unpinned: true, info_updates: 5 });
    res = await admin.post(`/room/${token}/unpin/${b.id}`, {});
    expect(res.json()).toEqual({ unpinned: false, info_updates: 5 });
    // deleting a pinned message unpins it (+1)
    expectStatus(await user.delete(`/room/${token}/message/${c.id}`), 200);
    expect((await json(user, `/room/${token}`)).info_updates).toBe(6);
    await pin(b.id);
    res = await admin.post(`/room/${token}/unpin/all`, {});
    expect(res.json()).toEqual({ unpinned: 2, info_updates: 9 });
    expect(await json(user, `/room/${token}`)).not.toHaveProperty('pinned_messages');
  });

  it('test_pin_file_expiry: attach, pin, unpin and delete move file expiries (protocol §9.3)', async () => {
    const token = await room();
    const r = await ctx.prisma.room.findFirstOrThrow({ where: { token } });
    const u = await userOf(ctx, user);
    const object = await ctx.prisma.storageObject.create({ data: { key: `k-${token}`, size: 1, keyId: 'k', wrappedKey: Buffer.alloc(1), refs: 3 } });
    const now = Date.now() / 1000;
    const file = (over: object = {}) =>
      ctx.prisma.file.create({ data: { roomId: r.id, uploaderId: u.id, size: 1, uploaded: now, expiry: now + 3600, objectKey: object.key, ...over } });
    const [f1, stale, foreign] = [await file(), await file({ uploaded: now - 7200 }), await file({ uploaderId: (await userOf(ctx, user2)).id })];
    const m = await post(user, token, { files: [f1.id, String(stale.id), foreign.id, 424242] });
    const expiry = async (id: number) => (await ctx.prisma.file.findUniqueOrThrow({ where: { id } })).expiry;
    const f1Row = await ctx.prisma.file.findUniqueOrThrow({ where: { id: f1.id } });
    expect(f1Row.messageId).toBe(m.id);
    expect(f1Row.expiry! - now).toBeGreaterThan(15 * 86400 - 120);
    expect(await expiry(stale.id)).toBe(now + 3600);
    expect(await expiry(foreign.id)).toBe(now + 3600);

    await admin.post(`/room/${token}/pin/${m.id}`, {});
    expect(await expiry(f1.id)).toBeNull();
    await admin.post(`/room/${token}/unpin/${m.id}`, {});
    expect(await expiry(f1.id)).toBeCloseTo(now + 15 * 86400, 3);
    await user.delete(`/room/${token}/message/${m.id}`);
    expect(await expiry(f1.id)).toBeLessThanOrEqual(Date.now() / 1000);

    // room image: permanent; replaced image expires now; foreign/expired file → 406
    const img1 = await file();
    const img2 = await file();
    let res = await admin.put(`/room/${token}`, { image: img1.id });
    expect(res.json()).toEqual({ info_updates: (await ctx.prisma.room.findFirstOrThrow({ where: { token } })).infoUpdates });
    expect(await expiry(img1.id)).toBeNull();
    expect((await json(user, `/room/${token}`)).image_id).toBe(img1.id);
    await admin.put(`/room/${token}`, { image: img2.id });
    expect(await expiry(img1.id)).toBeLessThanOrEqual(Date.now() / 1000);
    res = await admin.put(`/room/${token}`, { image: img1.id });
    expectStatus(res, 406);
  });
});
