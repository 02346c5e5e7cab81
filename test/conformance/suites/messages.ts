// Conformance (black box, onion requests only): protocol §6.3 messages, §6.4 reactions, §7.2 since
// semantics and §7.4 whispers, polled the way session-desktop polls (`since/<seqno>?t=r&reactors=5`).
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, messageBody } from '../../support/rooms-fixtures';
import { cliGrant, dBodyless, dGet, expectText, expectTimestamp, jsonOf, keysOf } from '../desktop';
import type { SogsClient } from '../../../src/client';

type Msg = Record<string, unknown> & { id: number; seqno: number };

export function messagesSuite(): void {
  describe('protocol §6.3/§6.4/§7 messages and reactions', () => {
    let ctx: TestContext;
    let admin: SogsClient, mod: SogsClient, alice: SogsClient, bob: SogsClient;
    const MSG_KEYS = ['data', 'id', 'posted', 'reactions', 'seqno', 'session_id', 'signature'];

    beforeAll(async () => {
      ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0 } });
      await createRoom(ctx, 'r');
      await createRoom(ctx, 'other');
      await createRoom(ctx, 'ro', { write: false });
      [admin, mod, alice, bob] = [ctx.newUser(), ctx.newUser(), ctx.newUser(), ctx.newUser()];
      await cliGrant(ctx, admin, { rooms: ['r', 'other'] }, { admin: true });
      await cliGrant(ctx, mod, { rooms: ['r'] });
    });
    afterAll(() => ctx?.close());

    const since = (c: SogsClient, s: number, q = '?t=r&reactors=5') => dGet(c, `/room/r/messages/since/${s}${q}`).then((r) => jsonOf<Msg[]>(r, 200));
    const roomSeq = async () => jsonOf<{ message_sequence: number }>(await dGet(alice, '/room/r'), 200).message_sequence;

    describe('protocol §6.3 POST /room/:token/message', () => {
      it('201 with the exact message object; data and signature returned byte for byte', async () => {
        const body = messageBody('exact bytes');
        const res = await alice.post('/room/r/message', body);
        const msg = jsonOf<Msg>(res, 201);
        expect(keysOf(msg)).toEqual(MSG_KEYS);
        expect(msg).toMatchObject({ session_id: alice.sessionId, data: body.data, signature: body.signature, reactions: {} });
        expect(typeof msg.id).toBe('number');
        expect(typeof msg.seqno).toBe('number');
        expectTimestamp(msg.posted);
        const fetched = jsonOf<Msg>(await dGet(bob, `/room/r/message/${msg.id}`), 200);
        expect(fetched).toEqual(msg);
      });

      it('desktop extras: a timestamp field and string file ids are accepted', async () => {
        const res = await alice.post('/room/r/message', { ...messageBody(), timestamp: Date.now(), files: ['12345'] });
        expect(keysOf(jsonOf(res, 201))).toEqual(MSG_KEYS);
        // OpenGroupMessageV2.toJson() may also carry public_key and server_id
        const full = await alice.post('/room/r/message', { ...messageBody(), timestamp: Date.now(), public_key: alice.sessionId, server_id: 7, files: [] });
        expect(keysOf(jsonOf(full, 201))).toEqual(MSG_KEYS);
      });

      it('bad input → 400; no write → 403; anonymous → 401; whisper by non-mod → 403', async () => {
        const { data, signature } = messageBody();
        expect((await alice.post('/room/r/message', { data })).code).toBe(400);
        expect((await alice.post('/room/r/message', { signature })).code).toBe(400);
        expect((await alice.post('/room/r/message', { data, signature: Buffer.alloc(63).toString('base64') })).code).toBe(400);
        expect((await alice.post('/room/r/message', { data: '!!notbase64', signature })).code).toBe(400);
        expect((await alice.request({ method: 'POST', path: '/room/r/message', body: '{"data":', headers: { 'Content-Type': 'application/json' } })).code).toBe(400);
        expect((await ctx.anon().post('/room/r/message', messageBody())).code).toBe(401);
        expect((await alice.post('/room/ro/message', messageBody())).code).toBe(403);
        // upload = write AND upload (protocol §6.2)
        expect(jsonOf<Record<string, unknown>>(await dGet(alice, '/room/ro'), 200)).toMatchObject({ read: true, write: false, upload: false });
        expect((await alice.post('/room/r/message', { ...messageBody(), whisper_to: bob.sessionId })).code).toBe(403);
        expect((await alice.post('/room/r/message', { ...messageBody(), whisper_mods: true })).code).toBe(403);
        expect((await alice.post('/room/nope/message', messageBody())).code).toBe(404);
      });
    });

    describe('protocol §7.4 whispers', () => {
      it('directed whisper and mod whisper visibility with whisper fields', async () => {
        const start = await roomSeq();
        const toBob = jsonOf<Msg>(await mod.post('/room/r/message', { ...messageBody(), whisper_to: bob.sessionId }), 201);
        expect(toBob).toMatchObject({ whisper: true, whisper_mods: false, whisper_to: bob.sessionId });
        expect(keysOf(toBob)).toEqual([...MSG_KEYS, 'whisper', 'whisper_mods', 'whisper_to'].sort());
        const toMods = jsonOf<Msg>(await mod.post('/room/r/message', { ...messageBody(), whisper_mods: true }), 201);
        expect(toMods).toMatchObject({ whisper: true, whisper_mods: true });
        expect(toMods).not.toHaveProperty('whisper_to');

        expect((await since(bob, start)).map((m) => m.id)).toEqual([toBob.id]);
        expect((await since(alice, start)).map((m) => m.id)).toEqual([]);
        expect((await since(ctx.anon(), start)).map((m) => m.id)).toEqual([]);
        expect((await since(mod, start)).map((m) => m.id)).toEqual([toBob.id, toMods.id]);
        // another moderator sees mod whispers but not a whisper directed at someone else
        expect((await since(admin, start)).map((m) => m.id)).toEqual([toMods.id]);
        expect((await dGet(alice, `/room/r/message/${toBob.id}`)).code).toBe(404);
        expect((await dBodyless(bob, 'PUT', `/room/r/reaction/${toBob.id}/👍`)).code).toBe(404);
      });
    });

    describe('protocol §6.3/§7.2 edits, deletions, tombstones and since', () => {
      it('edit: 200 {}, edited float, new seqno, only the author', async () => {
        const m = jsonOf<Msg>(await alice.post('/room/r/message', messageBody()), 201);
        const edit = messageBody('edited');
        expect(jsonOf(await alice.put(`/room/r/message/${m.id}`, edit), 200)).toEqual({});
        const after = jsonOf<Msg>(await dGet(bob, `/room/r/message/${m.id}`), 200);
        expect(keysOf(after)).toEqual([...MSG_KEYS, 'edited'].sort());
        expect(after.data).toBe(edit.data);
        expect(after.seqno).toBeGreaterThan(m.seqno);
        expectTimestamp(after.edited);
        expect(after.posted).toBe(m.posted);
        expect((await bob.put(`/room/r/message/${m.id}`, messageBody())).code).toBe(403);
        expect((await admin.put(`/room/r/message/${m.id}`, messageBody())).code).toBe(403);
        expect((await alice.put('/room/r/message/999999', messageBody())).code).toBe(404);
      });

      it('delete: 200 {}, tombstone shape in since, 404 afterwards, others need mod', async () => {
        const m = jsonOf<Msg>(await alice.post('/room/r/message', messageBody()), 201);
        await dBodyless(bob, 'PUT', `/room/r/reaction/${m.id}/👍`);
        const s = await roomSeq();
        expect((await dBodyless(bob, 'DELETE', `/room/r/message/${m.id}`)).code).toBe(403);
        expect(jsonOf(await dBodyless(alice, 'DELETE', `/room/r/message/${m.id}`), 200)).toEqual({});
        const rows = await since(bob, s);
        expect(rows).toHaveLength(1);
        const tomb = rows[0];
        expect(keysOf(tomb)).toEqual(['data', 'deleted', 'edited', 'id', 'posted', 'seqno', 'session_id']);
        expect(tomb).toMatchObject({ id: m.id, data: null, deleted: true, session_id: alice.sessionId });
        // reaction removal (+1) and the deletion (+1)
        expect(tomb.seqno).toBe(s + 2);
        expect((await dGet(bob, `/room/r/message/${m.id}`)).code).toBe(404);
        expect((await dBodyless(alice, 'DELETE', `/room/r/message/${m.id}`)).code).toBe(404);
        const m2 = jsonOf<Msg>(await alice.post('/room/r/message', messageBody()), 201);
        expect(jsonOf(await dBodyless(mod, 'DELETE', `/room/r/message/${m2.id}`), 200)).toEqual({});
      });

      it('§7.2 worked example: no tombstones for messages the poller never saw', async () => {
        const s0 = await roomSeq();
        const ids: number[] = [];
        for (let i = 0; i < 6; i++) ids.push(jsonOf<Msg>(await bob.post('/room/r/message', messageBody()), 201).id);
        await dBodyless(bob, 'DELETE', `/room/r/message/${ids[1]}`);
        await dBodyless(bob, 'DELETE', `/room/r/message/${ids[4]}`);
        expect((await since(alice, s0)).map((m) => [m.id, m.deleted ?? false])).toEqual([ids[0], ids[2], ids[3], ids[5]].map((id) => [id, false]));
        expect((await since(alice, s0 + 2)).map((m) => [m.id, m.deleted ?? false])).toEqual([
          [ids[2], false],
          [ids[3], false],
          [ids[5], false],
          [ids[1], true],
        ]);
        expect(await since(alice, s0 + 8)).toEqual([]);
        // limit, and clamping 0 → 1
        expect(await dGet(alice, `/room/r/messages/since/${s0}?limit=2`).then((r) => jsonOf<Msg[]>(r, 200))).toHaveLength(2);
        expect(await dGet(alice, `/room/r/messages/since/${s0}?limit=0`).then((r) => jsonOf<Msg[]>(r, 200))).toHaveLength(1);
        expect((await dGet(alice, `/room/r/messages/since/${s0}?limit=abc`)).code).toBe(400);
      });

      it('recent/before: newest first, no tombstones; single fetch 404 for deleted', async () => {
        const recent = jsonOf<Msg[]>(await dGet(alice, '/room/r/messages/recent?reactors=5'), 200);
        const ids = recent.map((m) => m.id);
        expect(ids).toEqual([...ids].sort((a, b) => b - a));
        expect(recent.every((m) => m.data !== null && !('deleted' in m))).toBe(true);
        const before = jsonOf<Msg[]>(await dGet(alice, `/room/r/messages/before/${ids[1]}?limit=2`), 200);
        expect(before.map((m) => m.id)).toEqual(ids.slice(2, 4));
        expect(jsonOf(await dGet(alice, '/room/r/messages/before/1'), 200)).toEqual([]);
        expect(jsonOf<Msg[]>(await dGet(alice, '/room/r/messages/recent?limit=1'), 200)).toHaveLength(1);
      });
    });

    describe('protocol §6.4 reactions and reaction-only updates', () => {
      it('add/remove responses, reaction-only rows, you/index/count/reactors rules', async () => {
        const m = jsonOf<Msg>(await alice.post('/room/r/message', messageBody()), 201);
        const s = await roomSeq();
        const add = jsonOf<{ added: boolean; seqno: number }>(await dBodyless(bob, 'PUT', `/room/r/reaction/${m.id}/👍`), 200);
        expect(add).toEqual({ added: true, seqno: s + 1 });
        expect(jsonOf(await dBodyless(bob, 'PUT', `/room/r/reaction/${m.id}/👍`), 200)).toEqual({ added: false, seqno: s + 1 });
        expect(jsonOf(await dBodyless(alice, 'PUT', `/room/r/reaction/${m.id}/❤️`), 200)).toEqual({ added: true, seqno: s + 2 });
        expect(jsonOf(await dBodyless(alice, 'PUT', `/room/r/reaction/${m.id}/👍`), 200)).toEqual({ added: true, seqno: s + 3 });
        expect(jsonOf(await dBodyless(alice, 'PUT', `/room/r/reaction/${m.id}/y/n`), 200)).toEqual({ added: true, seqno: s + 4 });

        const rows = await since(bob, s);
        expect(rows).toHaveLength(1);
        expect(keysOf(rows[0])).toEqual(['id', 'reactions', 'seqno']);
        expect(rows[0]).toEqual({
          id: m.id,
          seqno: s + 4,
          reactions: {
            '👍': { index: 0, count: 2, reactors: [bob.sessionId, alice.sessionId], you: true },
            '❤️': { index: 1, count: 1, reactors: [alice.sessionId] },
            'y/n': { index: 2, count: 1, reactors: [alice.sessionId] },
          },
        });
        // without t=r no reaction-only rows
        expect(await since(bob, s, '')).toEqual([]);
        // reactors=0 omits the list; reactors=1 truncates it
        const zero = jsonOf<Msg>(await dGet(ctx.anon(), `/room/r/message/${m.id}?reactors=0`), 200);
        expect(zero.reactions).toEqual({ '👍': { index: 0, count: 2 }, '❤️': { index: 1, count: 1 }, 'y/n': { index: 2, count: 1 } });
        const one = jsonOf<Msg>(await dGet(alice, `/room/r/message/${m.id}?reactors=1`), 200);
        expect((one.reactions as Record<string, unknown>)['👍']).toEqual({ index: 0, count: 2, reactors: [bob.sessionId], you: true });

        // percent-encoded and raw reaction paths are the same reaction
        expect(jsonOf(await dBodyless(bob, 'DELETE', `/room/r/reaction/${m.id}/%F0%9F%91%8D`), 200)).toEqual({ removed: true, seqno: s + 5 });
        expect(jsonOf(await dBodyless(bob, 'DELETE', `/room/r/reaction/${m.id}/👍`), 200)).toEqual({ removed: false, seqno: s + 5 });

        const reactors = jsonOf<Array<[string, number]>>(await dGet(bob, `/room/r/reactors/${m.id}/👍`), 200);
        expect(reactors).toHaveLength(1);
        expect(reactors[0][0]).toBe(alice.sessionId);
        expectTimestamp(reactors[0][1]);

        expect((await dBodyless(bob, 'PUT', `/room/r/reaction/${m.id}/${'x'.repeat(13)}`)).code).toBe(400);
        expect((await dBodyless(bob, 'PUT', `/room/r/reaction/999999/👍`)).code).toBe(404);
        expect((await dBodyless(ctx.anon(), 'PUT', `/room/r/reaction/${m.id}/👍`)).code).toBe(401);

        expectText(await dBodyless(bob, 'DELETE', `/room/r/reactions/${m.id}/❤️`), 403, 'This endpoint requires moderator room permissions');
        expect(jsonOf(await dBodyless(mod, 'DELETE', `/room/r/reactions/${m.id}/❤️`), 200)).toEqual({ removed: 1, seqno: s + 6 });
        expect(jsonOf(await dBodyless(mod, 'DELETE', `/room/r/reactions/${m.id}`), 200)).toEqual({ removed: 2, seqno: s + 8 });
        const clean = jsonOf<Msg>(await dGet(bob, `/room/r/message/${m.id}`), 200);
        expect(clean.reactions).toEqual({});
      });

      it('reactions only on regular messages of this room; idempotent re-posts return the original', async () => {
        const elsewhere = jsonOf<Msg>(await alice.post('/room/other/message', messageBody()), 201);
        expect((await dBodyless(bob, 'PUT', `/room/r/reaction/${elsewhere.id}/👍`)).code).toBe(404);
        const gone = jsonOf<Msg>(await alice.post('/room/r/message', messageBody()), 201);
        await dBodyless(alice, 'DELETE', `/room/r/message/${gone.id}`);
        expect((await dBodyless(bob, 'PUT', `/room/r/reaction/${gone.id}/👍`)).code).toBe(404);
        expect((await dGet(bob, `/room/r/reactors/${gone.id}/👍`)).code).toBe(404);
        // the same post (same signature) sent again as a new request: no duplicate (issue 3 §8)
        const body = messageBody();
        const first = jsonOf<Msg>(await alice.post('/room/r/message', body), 201);
        const again = await alice.post('/room/r/message', body);
        expect([200, 201]).toContain(again.code);
        expect(again.json<Msg>().id).toBe(first.id);
      });

      it('an edit after new reactions returns the full message in since', async () => {
        const m = jsonOf<Msg>(await alice.post('/room/r/message', messageBody()), 201);
        const s = await roomSeq();
        await dBodyless(bob, 'PUT', `/room/r/reaction/${m.id}/🎉`);
        await alice.put(`/room/r/message/${m.id}`, messageBody());
        const rows = await since(bob, s);
        expect(rows).toHaveLength(1);
        expect(keysOf(rows[0])).toEqual([...MSG_KEYS, 'edited'].sort());
        expect(rows[0].reactions).toEqual({ '🎉': { index: 0, count: 1, reactors: [bob.sessionId], you: true } });
      });
    });

    describe('protocol §6.3 delete all of a user', () => {
      it('DELETE /room/:t/all/:sid and /rooms/all/:sid', async () => {
        const victim = ctx.newUser();
        await victim.post('/room/r/message', messageBody());
        await victim.post('/room/r/message', messageBody());
        await victim.post('/room/other/message', messageBody());
        expect((await dBodyless(ctx.anon(), 'DELETE', `/room/r/all/${victim.sessionId}`)).code).toBe(401);
        expect((await dBodyless(bob, 'DELETE', `/room/r/all/${victim.sessionId}`)).code).toBe(403);
        expect(jsonOf(await dBodyless(mod, 'DELETE', `/room/r/all/${victim.sessionId}`), 200)).toEqual({});
        expect((await dBodyless(mod, 'DELETE', `/room/r/all/${victim.sessionId}`)).code).toBe(404);
        expect((await dBodyless(mod, 'DELETE', `/room/r/all/15${'ab'.repeat(32)}`)).code).toBe(404);
        await victim.post('/room/r/message', messageBody());
        expect(jsonOf(await dBodyless(admin, 'DELETE', `/rooms/all/${victim.sessionId}`), 200)).toEqual({ total: 2, rooms: { r: 1, other: 1 } });
        const own = ctx.newUser();
        await own.post('/room/r/message', messageBody());
        expect(jsonOf(await dBodyless(own, 'DELETE', `/room/r/all/${own.sessionId}`), 200)).toEqual({});
      });
    });
  });
}
