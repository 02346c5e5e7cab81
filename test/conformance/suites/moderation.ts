// Conformance (black box, onion requests only): protocol §6.7 permission overrides and futures, §6.8
// moderators and bans, as moderator tools in Session clients call them.
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, messageBody } from '../../support/rooms-fixtures';
import { cliGrant, dBodyless, dGet, expectText, expectTimestamp, jsonOf, keysOf } from '../desktop';
import type { SogsClient } from '../../../src/client';

export function moderationSuite(): void {
  describe('protocol §6.7/§6.8 moderation', () => {
    let ctx: TestContext;
    let globalAdmin: SogsClient, admin: SogsClient, mod: SogsClient, alice: SogsClient, bob: SogsClient;

    beforeAll(async () => {
      ctx = await createTestContext();
      await createRoom(ctx, 'main');
      await createRoom(ctx, 'side');
      [globalAdmin, admin, mod, alice, bob] = [ctx.newUser(), ctx.newUser(), ctx.newUser(), ctx.newUser(), ctx.newUser()];
      await cliGrant(ctx, globalAdmin, { global: true }, { admin: true });
      await cliGrant(ctx, admin, { rooms: ['main'] }, { admin: true });
      await cliGrant(ctx, mod, { rooms: ['main'] });
      for (const c of [alice, bob]) await dGet(c, '/room/main');
    });
    afterAll(() => ctx?.close());

    describe('protocol §6.8 POST /user/:sid/moderator', () => {
      it('room admin grants a room mod; response lists info_updates per room', async () => {
        const before = jsonOf<{ info_updates: number }>(await dGet(alice, '/room/main'), 200).info_updates;
        const res = jsonOf(await admin.post(`/user/${alice.sessionId}/moderator`, { rooms: ['main'], moderator: true }), 200);
        expect(res).toEqual({ info_updates: { main: before + 1 } });
        const room = jsonOf<{ moderators: string[] }>(await dGet(bob, '/room/main'), 200);
        expect(room.moderators).toContain(alice.sessionId);
        expect(jsonOf(await admin.post(`/user/${alice.sessionId}/moderator`, { rooms: ['main'], moderator: false }), 200)).toEqual({ info_updates: { main: before + 2 } });
      });

      it('refusals: 403 for mods and unknown rooms, 400 for bad bodies', async () => {
        expect((await mod.post(`/user/${alice.sessionId}/moderator`, { rooms: ['main'], moderator: true })).code).toBe(403);
        expect((await admin.post(`/user/${alice.sessionId}/moderator`, { rooms: ['nope'], moderator: true })).code).toBe(403);
        expect((await admin.post(`/user/${alice.sessionId}/moderator`, { global: true, moderator: true })).code).toBe(403);
        expect((await admin.post(`/user/${alice.sessionId}/moderator`, { rooms: ['main'], global: true, moderator: true })).code).toBe(400);
        expect((await admin.post(`/user/${alice.sessionId}/moderator`, { moderator: true })).code).toBe(400);
        expect((await admin.post(`/user/${alice.sessionId}/moderator`, { rooms: [], moderator: true })).code).toBe(400);
        expect((await admin.post(`/user/${alice.sessionId}/moderator`, { rooms: ['*', 'main'], moderator: true })).code).toBe(400);
        expect((await admin.post(`/user/${alice.sessionId}/moderator`, { rooms: ['main'] })).code).toBe(400);
        expect((await admin.post(`/user/${alice.sessionId}/moderator`, { rooms: ['main'], admin: true, moderator: false })).code).toBe(400);
        expect((await ctx.anon().post(`/user/${alice.sessionId}/moderator`, { rooms: ['main'], moderator: true })).code).toBe(401);
      });

      it('global admin grants a hidden global mod: every room listed, hidden lists for mods only', async () => {
        const before = jsonOf<{ info_updates: number }>(await dGet(alice, '/room/side'), 200).info_updates;
        const res = jsonOf<{ info_updates: Record<string, number> }>(await globalAdmin.post(`/user/${bob.sessionId}/moderator`, { global: true, moderator: true }), 200);
        expect(keysOf(res.info_updates)).toEqual(['main', 'side']);
        // a global flag change bumps every room (protocol §7.3)
        expect(res.info_updates.side).toBe(before + 1);
        const asBob = jsonOf<Record<string, unknown>>(await dGet(bob, '/room/side'), 200);
        expect(asBob).toMatchObject({ moderator: true, global_moderator: true });
        expect(asBob).not.toHaveProperty('admin');
        expect(asBob).not.toHaveProperty('global_admin');
        expect(asBob.hidden_moderators).toEqual([bob.sessionId]);
        expect(jsonOf<Record<string, unknown>>(await dGet(alice, '/room/side'), 200)).not.toHaveProperty('hidden_moderators');
        await globalAdmin.post(`/user/${bob.sessionId}/moderator`, { global: true, moderator: false });
      });
    });

    describe('protocol §11 moderator actions exactly as session-desktop batches them', () => {
      it('add/remove admin, ban + delete all, unban, delete message, clear a reaction, room image, delete inbox', async () => {
        const target = ctx.newUser();
        const spammer = ctx.newUser();
        const spam = jsonOf<{ id: number }>(await spammer.post('/room/main/message', messageBody()), 201);
        const other = jsonOf<{ id: number }>(await spammer.post('/room/main/message', messageBody()), 201);
        await dGet(target, '/capabilities');
        const modRow = (add: boolean) => ({
          method: 'POST' as const,
          path: `/user/${target.sessionId}/moderator`,
          json: { rooms: ['main'], global: false, visible: true, admin: add, moderator: add },
        });
        let res = await admin.batch([modRow(true)]);
        expect(res.items.map((i) => i.code)).toEqual([200]);
        expect(jsonOf(await dGet(mod, `/room/main/permissions/${target.sessionId}`), 200)).toEqual({ admin: true });
        res = await admin.batch([modRow(false)]);
        expect(res.items.map((i) => i.code)).toEqual([200]);
        expect(jsonOf(await dGet(mod, `/room/main/permissions/${target.sessionId}`), 200)).toEqual({});

        await dBodyless(alice, 'PUT', `/room/main/reaction/${other.id}/🍍`);
        const seq = await mod.sequence([
          { method: 'POST', path: `/user/${spammer.sessionId}/ban`, json: { rooms: ['main'] } },
          { method: 'DELETE', path: `/room/main/reactions/${other.id}/🍍` },
          { method: 'DELETE', path: `/room/main/message/${spam.id}` },
          { method: 'DELETE', path: `/room/main/all/${spammer.sessionId}` },
        ]);
        expect(seq.items.map((i) => i.code)).toEqual([200, 200, 200, 200]);
        expect(seq.items[0].body).toEqual({});
        expect(seq.items[1].body).toEqual({ removed: 1, seqno: expect.any(Number) });
        expect(seq.items[2].body).toEqual({});
        expect(seq.items[3].body).toEqual({});
        expect((await dGet(spammer, '/room/main')).code).toBe(404);
        res = await mod.batch([{ method: 'POST', path: `/user/${spammer.sessionId}/unban`, json: { rooms: ['main'] } }]);
        expect(res.items[0]).toEqual({ code: 200, headers: { 'content-type': 'application/json' }, body: {} });

        const image = await admin.request({ method: 'POST', path: '/room/main/file', body: Buffer.from('avatar'), headers: { 'Content-Type': 'application/octet-stream' } });
        const imageId = jsonOf<{ id: number }>(image, 201).id;
        res = await admin.batch([{ method: 'PUT', path: '/room/main', json: { image: imageId } }]);
        expect(res.items[0].code).toBe(200);
        expect(res.items[0].body).toEqual({ info_updates: expect.any(Number) });
        expect(jsonOf<{ image_id: number }>(await dGet(alice, '/room/main'), 200).image_id).toBe(imageId);

        res = await alice.batch([{ method: 'DELETE', path: '/inbox' }]);
        expect(res.items[0].body).toEqual({ deleted: 0 });
      });
    });

    describe('protocol §6.8 moderator flag combinations', () => {
      it('admin/moderator/visible combinations as permission objects', async () => {
        const target = ctx.newUser();
        await dGet(target, '/capabilities');
        const set = async (body: Record<string, unknown>) => {
          expect((await admin.post(`/user/${target.sessionId}/moderator`, { rooms: ['main'], ...body })).code).toBe(200);
          return jsonOf(await dGet(mod, `/room/main/permissions/${target.sessionId}`), 200);
        };
        expect(await set({ admin: true })).toEqual({ admin: true });
        expect(await set({ admin: false })).toEqual({ moderator: true });
        expect(await set({ admin: true, visible: false })).toEqual({ admin: true, hidden: true });
        expect(await set({ moderator: true, admin: false })).toEqual({ moderator: true });
        expect(await set({ moderator: false })).toEqual({});
        expect(await set({ admin: false })).toEqual({});
      });
    });

    describe('protocol §6.8 bans', () => {
      it('room ban: 200 {}; banned user gets 404 on the room and 403 posting; unban restores', async () => {
        const victim = ctx.newUser();
        await victim.post('/room/main/message', messageBody());
        expect(jsonOf(await mod.post(`/user/${victim.sessionId}/ban`, { rooms: ['main'] }), 200)).toEqual({});
        expect((await dGet(victim, '/room/main')).code).toBe(404);
        expect(jsonOf<Array<{ token: string }>>(await dGet(victim, '/rooms'), 200).map((r) => r.token)).toEqual(['side']);
        expect((await victim.post('/room/main/message', messageBody())).code).toBe(403);
        expect((await dGet(victim, '/room/side')).code).toBe(200);
        expect(jsonOf(await mod.post(`/user/${victim.sessionId}/unban`, { rooms: ['main'] }), 200)).toEqual({});
        expect((await dGet(victim, '/room/main')).code).toBe(200);
      });

      it('timed ban schedules an unban visible in futurePermissions', async () => {
        const victim = ctx.newUser();
        await dGet(victim, '/capabilities');
        expect(jsonOf(await mod.post(`/user/${victim.sessionId}/ban`, { rooms: ['main'], timeout: 3600 }), 200)).toEqual({});
        const futures = jsonOf<Array<Record<string, unknown>>>(await dGet(mod, '/room/main/futurePermissions'), 200);
        const mine = futures.filter((f) => f.session_id === victim.sessionId);
        expect(mine).toHaveLength(1);
        expect(keysOf(mine[0])).toEqual(['at', 'banned', 'session_id']);
        expect(mine[0].banned).toBe(false);
        expect((mine[0].at as number) - Date.now() / 1000).toBeGreaterThan(3500);
        expect((await mod.post(`/user/${victim.sessionId}/ban`, { rooms: ['main'], timeout: 'soon' })).code).toBe(400);
      });

      it('refusals: self-ban, banning a mod as a mod, banning a global mod → 403', async () => {
        expect((await mod.post(`/user/${mod.sessionId}/ban`, { rooms: ['main'] })).code).toBe(403);
        expect((await mod.post(`/user/${admin.sessionId}/ban`, { rooms: ['main'] })).code).toBe(403);
        expect((await admin.post(`/user/${globalAdmin.sessionId}/ban`, { rooms: ['main'] })).code).toBe(403);
        expect((await alice.post(`/user/${bob.sessionId}/ban`, { rooms: ['main'] })).code).toBe(403);
      });

      it('global ban → every authenticated request answers 403 "Banned"; anonymous still works', async () => {
        const victim = ctx.newUser();
        await dGet(victim, '/capabilities');
        expect(jsonOf(await globalAdmin.post(`/user/${victim.sessionId}/ban`, { global: true }), 200)).toEqual({});
        expectText(await dGet(victim, '/rooms'), 403, 'Banned');
        expectText(await dGet(victim, '/capabilities'), 403, 'Banned');
        expect((await dGet(ctx.anon(), '/rooms')).code).toBe(200);
        expect(jsonOf(await globalAdmin.post(`/user/${victim.sessionId}/unban`, { global: true }), 200)).toEqual({});
        expect((await dGet(victim, '/rooms')).code).toBe(200);
      });
    });

    describe('protocol §6.7 permissions and futurePermissions', () => {
      it('permission objects: only non-null flags, moderator/admin/hidden/banned', async () => {
        const perms = jsonOf<Record<string, Record<string, unknown>>>(await dGet(mod, '/room/main/permissions'), 200);
        expect(perms[mod.sessionId!]).toEqual({ moderator: true });
        expect(perms[admin.sessionId!]).toEqual({ admin: true });
        expect(jsonOf(await dGet(mod, `/room/main/permissions/${bob.sessionId}`), 200)).toEqual({});
        expect(jsonOf(await mod.post(`/room/main/permissions/${bob.sessionId}`, { write: false, upload: false }), 200)).toEqual({ write: false, upload: false });
        expect(jsonOf(await mod.post(`/room/main/permissions/${bob.sessionId}`, { default_upload: true }), 200)).toEqual({ write: false });
        expect(jsonOf(await dGet(mod, `/room/main/permissions/${bob.sessionId}`), 200)).toEqual({ write: false });
        expect(jsonOf<Record<string, unknown>>(await dGet(bob, '/room/main'), 200)).toMatchObject({ read: true, write: false, upload: false });
        expect((await bob.post('/room/main/message', messageBody())).code).toBe(403);
        expect(jsonOf(await mod.post(`/room/main/permissions/${bob.sessionId}`, { default_write: true }), 200)).toEqual({});

        expect((await mod.post(`/room/main/permissions/${bob.sessionId}`, { write: true, default_write: true })).code).toBe(400);
        expect((await mod.post(`/room/main/permissions/${bob.sessionId}`, {})).code).toBe(400);
        expectText(await dGet(alice, '/room/main/permissions'), 403, 'This endpoint requires moderator room permissions');
        expect((await dGet(ctx.anon(), '/room/main/permissions')).code).toBe(401);
      });

      it('timed mute as a /sequence of permissions then futurePermissions', async () => {
        const res = await mod.sequence([
          { method: 'POST', path: `/room/main/permissions/${alice.sessionId}`, json: { write: false } },
          { method: 'POST', path: `/room/main/futurePermissions/${alice.sessionId}`, json: { write: true, in: 86400 } },
        ]);
        expect(res.items.map((i) => i.code)).toEqual([200, 200]);
        expect(res.items[0].body).toEqual({ write: false });
        const list = res.items[1].body as Array<Record<string, unknown>>;
        expect(list).toHaveLength(1);
        expect(keysOf(list[0])).toEqual(['at', 'write']);
        expect(list[0].write).toBe(true);
        expectTimestamp(list[0].at);
        const all = jsonOf<Array<Record<string, unknown>>>(await dGet(mod, '/room/main/futurePermissions'), 200);
        expect(all.find((f) => f.session_id === alice.sessionId)).toEqual({ session_id: alice.sessionId, at: list[0].at, write: true });
        expect(jsonOf(await dGet(mod, `/room/main/futurePermissions/${alice.sessionId}`), 200)).toEqual(list);
        expect((await mod.post(`/room/main/futurePermissions/${alice.sessionId}`, { write: true, in: 0 })).code).toBe(400);
        expect((await mod.post(`/room/main/futurePermissions/${alice.sessionId}`, { in: 10 })).code).toBe(400);
        expect((await mod.post(`/room/main/futurePermissions/${alice.sessionId}`, { write: true })).code).toBe(400);
        // unschedule (default true) clears the scheduled write change
        expect(jsonOf(await mod.post(`/room/main/permissions/${alice.sessionId}`, { default_write: true }), 200)).toEqual({});
        expect(jsonOf(await dGet(mod, `/room/main/futurePermissions/${alice.sessionId}`), 200)).toEqual([]);
      });
    });
  });
}
