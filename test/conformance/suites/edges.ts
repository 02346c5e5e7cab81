// Conformance (black box, onion requests only) with the defaults: protocol §9.1 size limits at
// their exact edges, §9.2 rate limit, §2.4 05→15 resolution, §4.6 v3 replies, §6.1 sequence
// stopping at a 304, §5 clamps and float timestamps.
import { randomBytes } from 'node:crypto';
import { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, messageBody, sessionMessage } from '../../support/rooms-fixtures';
import { cliGrant, dBodyless, dGet, expectText, jsonOf, keysOf } from '../desktop';

export function edgesSuite(): void {
  describe('protocol §9 reference defaults and edges', () => {
    let ctx: TestContext;
    let admin: SogsClient;
    beforeAll(async () => {
      ctx = await createTestContext({ config: { PROFANITY_FILTER: true, ALPHABET_FILTERS: 'cyrillic', ALPHABET_SILENT: false } });
      await createRoom(ctx, 'edge');
      await createRoom(ctx, 'filtered');
      admin = ctx.newUser();
      await cliGrant(ctx, admin, { global: true }, { admin: true });
    });
    afterAll(() => ctx?.close());

    const rawUpload = (c: SogsClient, path: string, size: number) =>
      c.request({ method: 'POST', path, body: randomBytes(size), headers: { 'Content-Type': 'application/octet-stream' } });

    describe('protocol §9.1/§12.1 upload limits at the defaults (the largest client attachment)', () => {
      it('room file: 10,223,616 bytes → 201, 10,223,617 → 413', async () => {
        const alice = ctx.newUser();
        const ok = await rawUpload(alice, '/room/edge/file', 10_223_616);
        expect(typeof jsonOf<{ id: unknown }>(ok, 201).id).toBe('number');
        expect((await rawUpload(alice, '/room/edge/file', 10_223_617)).code).toBe(413);
      });

      it('file server: 10,223,616 bytes → 200, 10,223,617 → 413 {"status_code": 413}', async () => {
        const anon = ctx.anon();
        expect(typeof jsonOf<{ id: unknown }>(await rawUpload(anon, '/file', 10_223_616), 200).id).toBe('string');
        expect(jsonOf(await rawUpload(anon, '/file', 10_223_617), 413)).toEqual({ status_code: 413 });
      });
    });

    describe('protocol §9.2 rate limit', () => {
      it('the 6th post within 16 s → 429; admins exempt', async () => {
        const alice = ctx.newUser();
        for (let i = 0; i < 5; i++) expect((await alice.post('/room/edge/message', messageBody())).code).toBe(201);
        expect((await alice.post('/room/edge/message', messageBody())).code).toBe(429);
        for (let i = 0; i < 6; i++) expect((await admin.post('/room/edge/message', messageBody())).code).toBe(201);
      });
    });

    describe('protocol §5 value types and clamps', () => {
      it('timestamps are floats; limit above 256 is clamped; reactors above 20 clamped', async () => {
        const alice = ctx.newUser();
        const m = jsonOf<{ id: number; posted: number }>(await alice.post('/room/edge/message', messageBody()), 201);
        const room = jsonOf<{ created: number }>(await dGet(alice, '/room/edge'), 200);
        // float seconds: with sub-second precision these are (almost surely) not integers
        expect(Number.isInteger(m.posted) && Number.isInteger(room.created)).toBe(false);
        expect((await dGet(alice, '/room/edge/messages/recent?limit=1000')).code).toBe(200);
        expect((await dGet(alice, `/room/edge/message/${m.id}?reactors=100`)).code).toBe(200);
        expect((await dGet(alice, '/room/edge/messages/recent?reactors=x')).code).toBe(400);
      });
    });

    describe('protocol §2.4 05 ids on a blinding server', () => {
      it('a moderator grant to a never-seen 05 id moves to the blinded id on first sight', async () => {
        const seed = new Uint8Array(randomBytes(32));
        const unblinded = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed, blind: false });
        const blinded = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed });
        expect(unblinded.sessionId!.startsWith('05')).toBe(true);
        expect(jsonOf(await admin.post(`/user/${unblinded.sessionId}/moderator`, { rooms: ['edge'], moderator: true }), 200)).toEqual({
          info_updates: { edge: expect.any(Number) },
        });
        const room = jsonOf<Record<string, unknown>>(await dGet(blinded, '/room/edge'), 200);
        expect(room.moderator).toBe(true);
        expect(room.moderators).toEqual([blinded.sessionId]);
        // once the blinded user exists, a 05 ban targets it
        const seed2 = new Uint8Array(randomBytes(32));
        const u2 = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed: seed2, blind: false });
        const b2 = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed: seed2 });
        await dGet(b2, '/room/edge');
        expect(jsonOf(await admin.post(`/user/${u2.sessionId}/ban`, { rooms: ['edge'] }), 200)).toEqual({});
        expect((await dGet(b2, '/room/edge')).code).toBe(404);
        const perms = jsonOf<Record<string, unknown>>(await dGet(admin, '/room/edge/permissions'), 200);
        expect(perms[b2.sessionId!]).toEqual({ banned: true });
      });
    });

    describe('protocol §4.6 v3 replies and §6.1 sequence with a 304', () => {
      it('v3: 2xx replies carry the body, others {"status_code": N}', async () => {
        const v3 = SogsClient.withRandomSeed({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, onion: 'v3' });
        const ok = await v3.post('/room/edge/message', messageBody());
        expect(ok.code).toBe(200);
        expect(keysOf(ok.json())).toEqual(['data', 'id', 'posted', 'reactions', 'seqno', 'session_id', 'signature']);
        const missing = await v3.get('/room/nope');
        expect(missing.json()).toEqual({ status_code: 404 });
      });

      it('sequence stops at a 304 (non-2xx)', async () => {
        const alice = ctx.newUser();
        const res = await alice.sequence([
          { method: 'GET', path: '/inbox/since/0' },
          { method: 'GET', path: '/capabilities' },
        ]);
        expect(res.items.map((i) => i.code)).toEqual([304]);
      });

      it('a direct (non-onion) request to an inner route is refused', async () => {
        const res = await fetch(`${ctx.url}/capabilities`);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      });
    });

    describe('protocol §6.3/§6.7 remaining refusals', () => {
      it("mods cannot delete an admin's posts in bulk; banned users cannot delete; hidden mods flagged", async () => {
        const mod = ctx.newUser();
        const roomAdmin = ctx.newUser();
        await cliGrant(ctx, mod, { rooms: ['edge'] }, { visible: false });
        await cliGrant(ctx, roomAdmin, { rooms: ['edge'] }, { admin: true });
        await roomAdmin.post('/room/edge/message', messageBody());
        expect((await dBodyless(mod, 'DELETE', `/room/edge/all/${roomAdmin.sessionId}`)).code).toBe(403);
        const perms = jsonOf<Record<string, unknown>>(await dGet(mod, '/room/edge/permissions'), 200);
        expect(perms[mod.sessionId!]).toEqual({ moderator: true, hidden: true });
        expect(perms[roomAdmin.sessionId!]).toEqual({ admin: true });

        const victim = ctx.newUser();
        const m = jsonOf<{ id: number }>(await victim.post('/room/edge/message', messageBody()), 201);
        await mod.post(`/user/${victim.sessionId}/ban`, { rooms: ['edge'] });
        expect([403, 404]).toContain((await dBodyless(victim, 'DELETE', `/room/edge/message/${m.id}`)).code);
        expectText(await dGet(ctx.anon(), '/room/edge/permissions'), 401);
      });
    });

    describe('protocol §9.2 filters', () => {
      it('silent profanity filter: 201 with "filtered": true, never shown; non-silent alphabet filter → 429', async () => {
        const alice = ctx.newUser();
        const res = jsonOf<Record<string, unknown>>(await alice.post('/room/filtered/message', sessionMessage('what the fuck')), 201);
        expect(res.filtered).toBe(true);
        expect(jsonOf(await dGet(alice, '/room/filtered/messages/since/0?t=r&reactors=5'), 200)).toEqual([]);
        expect((await dGet(alice, `/room/filtered/message/${res.id as number}`)).code).toBe(404);
        expectText(await alice.post('/room/filtered/message', sessionMessage('привет мир')), 429, 'filtration rejected message (alphabet)');
        expect(jsonOf<Record<string, unknown>>(await alice.post('/room/filtered/message', sessionMessage('hello world')), 201)).not.toHaveProperty('filtered');
      });
    });

    describe('protocol §11 desktop retries', () => {
      it('the same signed request sent again in a new onion request returns the original reply, no duplicate', async () => {
        const alice = ctx.newUser();
        const body = messageBody();
        const opts = { nonce: new Uint8Array(randomBytes(16)), timestamp: Math.floor(Date.now() / 1000) };
        const first = jsonOf<{ id: number }>(await alice.post('/room/edge/message', body, opts), 201);
        const retry = jsonOf<{ id: number }>(await alice.post('/room/edge/message', body, opts), 201);
        expect(retry).toEqual(first);
        const mine = jsonOf<Array<{ session_id: string }>>(await dGet(alice, '/room/edge/messages/recent?limit=256'), 200).filter((m) => m.session_id === alice.sessionId);
        expect(mine).toHaveLength(1);
      });
    });
  });
}
