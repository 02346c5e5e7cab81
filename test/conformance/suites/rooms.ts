// Conformance (black box, onion requests only): protocol §6.2 room objects and pollInfo, §6.5 pins,
// with field presence rules per requester (anonymous, user, moderator, admin, global admin).
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, messageBody } from '../../support/rooms-fixtures';
import { cliGrant, dBodyless, dGet, expectText, expectTimestamp, jsonOf, keysOf } from '../desktop';
import type { SogsClient } from '../../../src/client';

export function roomsSuite(): void {
  describe('protocol §6.2/§6.5 rooms and pins', () => {
    let ctx: TestContext;
    let admin: SogsClient, mod: SogsClient, hiddenMod: SogsClient, globalAdmin: SogsClient, user: SogsClient;

    const BASE_KEYS = ['active_users', 'active_users_cutoff', 'admins', 'created', 'info_updates', 'message_sequence', 'moderators', 'name', 'read', 'token', 'upload', 'write'];
    const DEFAULTS = ['default_accessible', 'default_read', 'default_upload', 'default_write'];

    beforeAll(async () => {
      ctx = await createTestContext();
      await createRoom(ctx, 'Zeta', { name: 'Zeta room', description: 'last' });
      await createRoom(ctx, 'alpha', { name: 'Alpha' });
      await createRoom(ctx, 'secret', { read: false, accessible: false });
      await createRoom(ctx, 'lurk', { read: false, accessible: true });
      [admin, mod, hiddenMod, globalAdmin, user] = [ctx.newUser(), ctx.newUser(), ctx.newUser(), ctx.newUser(), ctx.newUser()];
      await cliGrant(ctx, admin, { rooms: ['alpha'] }, { admin: true });
      await cliGrant(ctx, mod, { rooms: ['alpha'] });
      await cliGrant(ctx, hiddenMod, { rooms: ['alpha'] }, { visible: false });
      await cliGrant(ctx, globalAdmin, { global: true }, { admin: true });
    });
    afterAll(() => ctx?.close());

    describe('protocol §6.2 GET /rooms and GET /room/:token', () => {
      it('anonymous: accessible rooms sorted case-insensitively, base fields only', async () => {
        const rooms = jsonOf<Array<Record<string, unknown>>>(await dGet(ctx.anon(), '/rooms'), 200);
        expect(rooms.map((r) => r.token)).toEqual(['alpha', 'lurk', 'Zeta']);
        const [alpha, lurk, zeta] = rooms;
        expect(keysOf(alpha)).toEqual(BASE_KEYS);
        expect(keysOf(zeta)).toEqual([...BASE_KEYS, 'description'].sort());
        expect(zeta.description).toBe('last');
        expect(alpha).toMatchObject({
          name: 'Alpha',
          info_updates: expect.any(Number),
          message_sequence: 0,
          active_users: 0,
          active_users_cutoff: 604800,
          read: true,
          write: true,
          upload: true,
        });
        expect(alpha.moderators).toEqual([mod.sessionId]);
        expect(alpha.admins).toEqual([admin.sessionId]);
        expectTimestamp(alpha.created);
        expect(lurk).toMatchObject({ read: false, write: true, upload: true });
      });

      it('moderator view adds moderator flag, hidden lists and room defaults', async () => {
        const room = jsonOf<Record<string, unknown>>(await dGet(mod, '/room/alpha'), 200);
        expect(keysOf(room)).toEqual([...BASE_KEYS, ...DEFAULTS, 'hidden_admins', 'hidden_moderators', 'moderator'].sort());
        expect(room.moderator).toBe(true);
        expect(room.hidden_moderators).toEqual([hiddenMod.sessionId]);
        expect(room.hidden_admins).toEqual([globalAdmin.sessionId]);
        expect(room).toMatchObject({ default_read: true, default_accessible: true, default_write: true, default_upload: true });
      });

      it('admin and global admin flags appear only when true', async () => {
        const asAdmin = jsonOf<Record<string, unknown>>(await dGet(admin, '/room/ALPHA'), 200);
        expect(asAdmin.token).toBe('alpha');
        expect(asAdmin).toMatchObject({ moderator: true, admin: true });
        expect(asAdmin).not.toHaveProperty('global_moderator');
        const asGlobal = jsonOf<Record<string, unknown>>(await dGet(globalAdmin, '/room/alpha'), 200);
        expect(asGlobal).toMatchObject({ moderator: true, admin: true, global_moderator: true, global_admin: true });
        const plain = jsonOf<Record<string, unknown>>(await dGet(user, '/room/alpha'), 200);
        expect(keysOf(plain)).toEqual(BASE_KEYS);
      });

      it('inaccessible rooms are 404 (not 403), unknown tokens 404', async () => {
        expect((await dGet(user, '/room/secret')).code).toBe(404);
        expect((await dGet(ctx.anon(), '/room/secret')).code).toBe(404);
        expect((await dGet(user, '/room/nope')).code).toBe(404);
        expect(jsonOf<unknown[]>(await dGet(user, '/rooms'), 200)).toHaveLength(3);
        // global admins see everything
        expect(jsonOf<unknown[]>(await dGet(globalAdmin, '/rooms'), 200)).toHaveLength(4);
      });
    });

    describe('protocol §6.2 PUT /room/:token and pollInfo', () => {
      it('admin updates name/description (+1 each), strips control characters; others refused', async () => {
        const before = jsonOf<{ info_updates: number }>(await dGet(admin, '/room/alpha'), 200).info_updates;
        const res = jsonOf(await admin.put('/room/alpha', { name: 'New\u0001 name', description: 'line\u0002 one\nline two' }), 200);
        expect(res).toEqual({ info_updates: before + 2 });
        const room = jsonOf<Record<string, unknown>>(await dGet(user, '/room/alpha'), 200);
        expect(room.name).toBe('New name');
        expect(room.description).toBe('line one\nline two');
        expect(jsonOf(await admin.put('/room/alpha', { default_upload: false }), 200)).toEqual({ info_updates: before + 2 });
        expect(jsonOf(await admin.put('/room/alpha', { description: '' }), 200)).toEqual({ info_updates: before + 3 });
        expect(jsonOf<Record<string, unknown>>(await dGet(user, '/room/alpha'), 200)).not.toHaveProperty('description');
        expect(jsonOf<Record<string, unknown>>(await dGet(user, '/room/alpha'), 200).upload).toBe(false);
        await admin.put('/room/alpha', { default_upload: true });

        expectText(await mod.put('/room/alpha', { name: 'x' }), 403, 'This endpoint requires admin room permissions');
        expect((await ctx.anon().put('/room/alpha', { name: 'x' })).code).toBe(401);
        expect((await admin.put('/room/alpha', {})).code).toBe(400);
        expect((await admin.put('/room/alpha', { name: 5 })).code).toBe(400);
        expect((await admin.put('/room/alpha', { default_read: 'yes' })).code).toBe(400);
        expect((await admin.put('/room/alpha', { image: 'abc' })).code).toBe(400);
      });

      it('pollInfo: details only when info_updates differ; mod fields only for mods', async () => {
        const current = jsonOf<{ info_updates: number }>(await dGet(user, '/room/alpha'), 200).info_updates;
        const same = jsonOf<Record<string, unknown>>(await dGet(user, `/room/alpha/pollInfo/${current}`), 200);
        expect(same).toEqual({ token: 'alpha', active_users: expect.any(Number), read: true, write: true, upload: true });
        const changed = jsonOf<Record<string, unknown>>(await dGet(user, `/room/alpha/pollInfo/${current - 1}`), 200);
        expect(keysOf(changed)).toEqual(['active_users', 'details', 'read', 'token', 'upload', 'write']);
        expect(keysOf(changed.details)).toEqual(BASE_KEYS);
        const asMod = jsonOf<Record<string, unknown>>(await dGet(mod, `/room/alpha/pollInfo/${current}`), 200);
        expect(keysOf(asMod)).toEqual(['active_users', 'read', 'token', 'upload', 'write', 'moderator', ...DEFAULTS].sort());
        const asAdmin = jsonOf<Record<string, unknown>>(await dGet(globalAdmin, `/room/alpha/pollInfo/${current}`), 200);
        expect(asAdmin).toMatchObject({ moderator: true, admin: true, global_moderator: true, global_admin: true });
        expectText(await dGet(user, '/room/lurk/pollInfo/0'), 403, "This endpoint requires room message 'read' permission");
        expect((await dGet(user, '/room/secret/pollInfo/0')).code).toBe(403); // read_required only (protocol §6.2)
      });
    });

    describe('protocol §6.5 pins', () => {
      it('pin, re-pin, unpin, unpin/all with exact responses and room pinned_messages', async () => {
        const a = jsonOf<{ id: number }>(await user.post('/room/alpha/message', messageBody()), 201);
        const b = jsonOf<{ id: number }>(await user.post('/room/alpha/message', messageBody()), 201);
        const start = jsonOf<{ info_updates: number }>(await dGet(user, '/room/alpha'), 200).info_updates;
        expect(jsonOf(await dBodyless(admin, 'POST', `/room/alpha/pin/${a.id}`), 200)).toEqual({ info_updates: start + 1 });
        expect(jsonOf(await admin.post(`/room/alpha/pin/${b.id}`, {}), 200)).toEqual({ info_updates: start + 2 });
        expect(jsonOf(await admin.post(`/room/alpha/pin/${a.id}`, {}), 200)).toEqual({ info_updates: start + 3 });
        const room = jsonOf<{ pinned_messages: Array<Record<string, unknown>> }>(await dGet(user, '/room/alpha'), 200);
        expect(room.pinned_messages.map((p) => p.id)).toEqual([b.id, a.id]);
        for (const p of room.pinned_messages) {
          expect(keysOf(p)).toEqual(['id', 'pinned_at', 'pinned_by']);
          expect(p.pinned_by).toBe(admin.sessionId);
          expectTimestamp(p.pinned_at);
        }
        expectText(await mod.post(`/room/alpha/pin/${a.id}`, {}), 403, 'This endpoint requires admin room permissions');
        expect((await ctx.anon().post(`/room/alpha/pin/${a.id}`, {})).code).toBe(403);
        expect((await admin.post('/room/alpha/pin/999999', {})).code).toBe(404);
        expect(jsonOf(await admin.post(`/room/alpha/unpin/${a.id}`, {}), 200)).toEqual({ unpinned: true, info_updates: start + 4 });
        expect(jsonOf(await admin.post(`/room/alpha/unpin/${a.id}`, {}), 200)).toEqual({ unpinned: false, info_updates: start + 4 });
        await admin.post(`/room/alpha/pin/${a.id}`, {});
        expect(jsonOf(await admin.post('/room/alpha/unpin/all', {}), 200)).toEqual({ unpinned: 2, info_updates: start + 7 });
        expect(jsonOf<Record<string, unknown>>(await dGet(user, '/room/alpha'), 200)).not.toHaveProperty('pinned_messages');
      });
    });
  });
}
