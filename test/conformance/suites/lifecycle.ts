// Conformance (black box, onion requests only): protocol §9.3 file expiry transitions seen through
// download headers, §6.8 ban side effects and '*' rooms, §6.4 reaction index rules, §6.9 DMs to
// banned users.
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { createRoom, messageBody } from '../../support/rooms-fixtures';
import { cliGrant, dBodyless, dGet, jsonOf } from '../desktop';
import type { SogsClient } from '../../../src/client';

export function lifecycleSuite(): void {
  describe('protocol §9.3/§6.8 lifecycles', () => {
    let ctx: TestContext;
    let admin: SogsClient;
    beforeAll(async () => {
      ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, CLEANUP_INTERVAL: 1, FILE_SERVER_MAX_TTL: 3600 } });
      await createRoom(ctx, 'life');
      await createRoom(ctx, 'life2');
      admin = ctx.newUser();
      await cliGrant(ctx, admin, { rooms: ['life', 'life2'] }, { admin: true });
    });
    afterAll(() => ctx?.close());

    const upload = async (c: SogsClient, bytes = 'data') =>
      jsonOf<{ id: number }>(await c.request({ method: 'POST', path: '/room/life/file', body: Buffer.from(bytes), headers: { 'Content-Type': 'application/octet-stream' } }), 201)
        .id;
    /** Seconds until the download's Expires, null when permanent, 'gone' when 404. */
    const expiresIn = async (id: number): Promise<number | null | 'gone'> => {
      const res = await dGet(ctx.anon(), `/room/life/file/${id}`);
      if (res.code === 404) return 'gone';
      expect(res.code).toBe(200);
      const e = res.headers.expires;
      return e === undefined ? null : Date.parse(e) / 1000 - ctx.clock.seconds();
    };
    const DAY = 86400;

    describe('protocol §9.3 file expiry transitions', () => {
      it('attach (post/edit), pin → permanent, unpin → 15 days, delete → gone', async () => {
        const alice = ctx.newUser();
        const f1 = await upload(alice);
        const f2 = await upload(alice);
        expect(await expiresIn(f1)).toBeLessThanOrEqual(3600);
        const m = jsonOf<{ id: number }>(await alice.post('/room/life/message', { ...messageBody(), files: [f1] }), 201);
        expect(await expiresIn(f1)).toBeGreaterThan(15 * DAY - 120);
        expect(jsonOf(await alice.put(`/room/life/message/${m.id}`, { ...messageBody(), files: [f2] }), 200)).toEqual({});
        expect(await expiresIn(f2)).toBeGreaterThan(15 * DAY - 120);
        await admin.post(`/room/life/pin/${m.id}`, {});
        expect(await expiresIn(f1)).toBeNull();
        await admin.post(`/room/life/unpin/${m.id}`, {});
        expect(await expiresIn(f1)).toBeGreaterThan(15 * DAY - 120);
        // no stealing a file attached to another post
        const bob = ctx.newUser();
        const m2 = jsonOf<{ id: number }>(await bob.post('/room/life/message', { ...messageBody(), files: [f1] }), 201);
        await dBodyless(bob, 'DELETE', `/room/life/message/${m2.id}`);
        expect(await expiresIn(f1)).not.toBe('gone');
        await dBodyless(alice, 'DELETE', `/room/life/message/${m.id}`);
        expect(await expiresIn(f1)).toBe('gone');
        expect(await expiresIn(f2)).toBe('gone');
      });

      it('room image permanent; replaced image gone at once; delete-all expires uploads except the image', async () => {
        const img1 = await upload(admin, 'one');
        const img2 = await upload(admin, 'two');
        await admin.put('/room/life', { image: img1 });
        expect(await expiresIn(img1)).toBeNull();
        await admin.put('/room/life', { image: img2 });
        expect(await expiresIn(img1)).toBe('gone');
        const loose = await upload(admin, 'loose');
        await admin.post('/room/life/message', messageBody());
        expect(jsonOf(await dBodyless(admin, 'DELETE', `/room/life/all/${admin.sessionId}`), 200)).toEqual({});
        expect(await expiresIn(loose)).toBe('gone');
        expect(await expiresIn(img2)).toBeNull();
      });
    });

    describe('protocol §6.8 ban side effects', () => {
      it('banning a room moderator (by an admin) strips the flags and bumps info_updates', async () => {
        const mod = ctx.newUser();
        await cliGrant(ctx, mod, { rooms: ['life'] });
        const before = jsonOf<{ info_updates: number; moderators: string[] }>(await dGet(admin, '/room/life'), 200);
        expect(before.moderators).toContain(mod.sessionId);
        expect(jsonOf(await admin.post(`/user/${mod.sessionId}/ban`, { rooms: ['life'] }), 200)).toEqual({});
        const after = jsonOf<{ info_updates: number; moderators: string[] }>(await dGet(admin, '/room/life'), 200);
        expect(after.moderators).not.toContain(mod.sessionId);
        expect(after.info_updates).toBe(before.info_updates + 1);
        const perms = jsonOf<Record<string, unknown>>(await dGet(admin, `/room/life/permissions/${mod.sessionId}`), 200);
        expect(perms).toEqual({ banned: true });
      });

      it("rooms ['*'] means every room where the caller has the power", async () => {
        const victim = ctx.newUser();
        await dGet(victim, '/capabilities');
        expect(jsonOf(await admin.post(`/user/${victim.sessionId}/ban`, { rooms: ['*'] }), 200)).toEqual({});
        expect((await dGet(victim, '/room/life')).code).toBe(404);
        expect((await dGet(victim, '/room/life2')).code).toBe(404);
        expect(jsonOf(await admin.post(`/user/${victim.sessionId}/unban`, { rooms: ['*'] }), 200)).toEqual({});
        expect((await dGet(victim, '/room/life2')).code).toBe(200);
        const res = jsonOf<{ info_updates: Record<string, number> }>(await admin.post(`/user/${victim.sessionId}/moderator`, { rooms: ['*'], moderator: true }), 200);
        expect(Object.keys(res.info_updates).sort()).toEqual(['life', 'life2']);
        const nobody = ctx.newUser();
        expect((await nobody.post(`/user/${victim.sessionId}/ban`, { rooms: ['*'] })).code).toBe(403);
      });

      it('DELETE /rooms/all/:sid by a plain user for someone else deletes nothing', async () => {
        const [a, b] = [ctx.newUser(), ctx.newUser()];
        await a.post('/room/life/message', messageBody());
        expect(jsonOf(await dBodyless(b, 'DELETE', `/rooms/all/${a.sessionId}`), 200)).toEqual({ total: 0, rooms: {} });
      });
    });

    describe('protocol §6.4 reaction index', () => {
      it('a reaction removed entirely and re-added moves to the end', async () => {
        const [a, b] = [ctx.newUser(), ctx.newUser()];
        const m = jsonOf<{ id: number }>(await a.post('/room/life/message', messageBody()), 201);
        for (const r of ['1️⃣', '2️⃣', '3️⃣']) await dBodyless(b, 'PUT', `/room/life/reaction/${m.id}/${r}`);
        await dBodyless(b, 'DELETE', `/room/life/reaction/${m.id}/1️⃣`);
        await dBodyless(a, 'PUT', `/room/life/reaction/${m.id}/1️⃣`);
        const msg = jsonOf<{ reactions: Record<string, { index: number }> }>(await dGet(a, `/room/life/message/${m.id}`), 200);
        expect(Object.fromEntries(Object.entries(msg.reactions).map(([k, v]) => [k, v.index]))).toEqual({ '2️⃣': 0, '3️⃣': 1, '1️⃣': 2 });
      });
    });

    describe('protocol §9.4 periodic job', () => {
      it('active_users counts pollers; timed bans and future permissions apply', async () => {
        const [poller, muted, banned] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
        await dGet(banned, '/capabilities');
        await dGet(poller, '/room/life2/pollInfo/0');
        await eventually(async () => jsonOf<{ active_users: number }>(await dGet(ctx.anon(), '/room/life2'), 200).active_users >= 1);

        expect(jsonOf(await admin.post(`/user/${banned.sessionId}/ban`, { rooms: ['life2'], timeout: 1 }), 200)).toEqual({});
        expect((await dGet(banned, '/room/life2')).code).toBe(404);
        const seq = await admin.sequence([
          { method: 'POST', path: `/room/life2/permissions/${muted.sessionId}`, json: { write: false } },
          { method: 'POST', path: `/room/life2/futurePermissions/${muted.sessionId}`, json: { write: true, in: 1 } },
        ]);
        expect(seq.items.map((i) => i.code)).toEqual([200, 200]);
        expect((await muted.post('/room/life2/message', messageBody())).code).toBe(403);
        // The unban and the permission are due; the next run of the periodic job applies them.
        ctx.clock.advance(1000);
        await eventually(async () => (await dGet(banned, '/room/life2')).code === 200);
        await eventually(async () => (await muted.post('/room/life2/message', messageBody())).code === 201);
        // a future equal to the room default clears the override (protocol §6.7)
        expect(jsonOf(await dGet(admin, `/room/life2/permissions/${muted.sessionId}`), 200)).toEqual({});
        expect(jsonOf(await dGet(admin, '/room/life2/futurePermissions'), 200)).toEqual([]);
      });
    });

    describe('protocol §12.1/§12.4 file server TTL', () => {
      it('X-FS-TTL sets the expiry, bad values → 400, extend never shortens, expired → 404', async () => {
        const client = ctx.anon();
        const up = (ttl: string, body = String(Math.random())) =>
          client.request({ method: 'POST', path: '/file', body, headers: { 'Content-Type': 'application/octet-stream', 'X-FS-TTL': ttl } });
        const short = jsonOf<{ id: string; expires: number }>(await up('2'), 200);
        expect(short.expires - ctx.clock.seconds()).toBeLessThan(3);
        for (const bad of ['abc', '-5', '3601', '1.5']) expect(jsonOf(await up(bad), 400)).toEqual({ status_code: 400 });
        const long = jsonOf<{ id: string; expires: number }>(await up('3000'), 200);
        const ext = await client.request({ method: 'POST', path: `/file/${long.id}/extend`, headers: { 'X-FS-TTL': '60' } });
        expect(jsonOf<{ expires: number }>(ext, 200).expires).toBeCloseTo(long.expires, 0);
        ctx.clock.advance(2000);
        expect((await dGet(client, `/file/${short.id}`)).code).toBe(404);
        expect(jsonOf(await dGet(client, `/file/${short.id}/info`), 404)).toEqual({ status_code: 404 });
      });
    });

    describe('protocol §6.9 DMs and bans', () => {
      it('sending to a globally banned recipient → 404', async () => {
        const [a, banned] = [ctx.newUser(), ctx.newUser()];
        await dGet(banned, '/capabilities');
        const globalAdmin = ctx.newUser();
        await cliGrant(ctx, globalAdmin, { global: true }, { admin: true });
        await globalAdmin.post(`/user/${banned.sessionId}/ban`, { global: true });
        expect((await a.post(`/inbox/${banned.sessionId}`, { message: 'aGVsbG8=' })).code).toBe(404);
      });
    });
  });
}
