// Conformance (black box, onion requests only): protocol §6.9 blinded DMs as desktop polls them
// (`/inbox/since/<id>` and `/outbox/since/<id>`, 304 with an empty body when nothing is new).
import { randomBytes } from 'node:crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { dBodyless, dGet, expectText, expectTimestamp, jsonOf, keysOf } from '../desktop';

export function inboxSuite(): void {
  describe('protocol §6.9 direct messages', () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestContext();
    });
    afterAll(() => ctx?.close());

    describe('protocol §6.9 inbox and outbox', () => {
      it('send, poll since, outbox, delete', async () => {
        const [alice, bob] = [ctx.newUser(), ctx.newUser()];
        await dGet(bob, '/capabilities');
        expect(jsonOf(await dGet(bob, '/inbox'), 200)).toEqual([]);
        const since0 = await dGet(bob, '/inbox/since/0');
        expect(since0.code).toBe(304);
        expect(since0.body).toHaveLength(0);

        const message = Buffer.concat([Buffer.from([0]), randomBytes(60)]).toString('base64');
        // desktop's toBlindedMessageRequestJson() adds a timestamp (and may add public_key/signature)
        const sent = jsonOf<Record<string, unknown>>(await alice.post(`/inbox/${bob.sessionId}`, { message, timestamp: Date.now(), public_key: alice.sessionId }), 201);
        expect(keysOf(sent)).toEqual(['expires_at', 'id', 'posted_at', 'recipient', 'sender']);
        expect(sent).toMatchObject({ sender: alice.sessionId, recipient: bob.sessionId });
        expect(typeof sent.id).toBe('number');
        expectTimestamp(sent.posted_at);
        expect((sent.expires_at as number) - (sent.posted_at as number)).toBeCloseTo(15 * 86400, 0);

        const inbox = jsonOf<Array<Record<string, unknown>>>(await dGet(bob, '/inbox/since/0'), 200);
        expect(inbox).toEqual([{ ...sent, message }]);
        expect((await dGet(bob, `/inbox/since/${sent.id as number}`)).code).toBe(304);
        expect(jsonOf(await dGet(alice, '/outbox'), 200)).toEqual([{ ...sent, message }]);
        expect(jsonOf(await dGet(alice, '/outbox/since/0'), 200)).toEqual([{ ...sent, message }]);
        expect((await dGet(alice, `/outbox/since/${sent.id as number}`)).code).toBe(304);
        expect(jsonOf(await dGet(alice, '/inbox'), 200)).toEqual([]);

        expect(jsonOf(await dBodyless(bob, 'DELETE', '/inbox'), 200)).toEqual({ deleted: 1 });
        expect(jsonOf(await dBodyless(bob, 'DELETE', '/inbox'), 200)).toEqual({ deleted: 0 });
        expect(jsonOf(await dGet(bob, '/inbox'), 200)).toEqual([]);
      });

      it('errors: unknown recipient 404, missing message 400, anonymous 401, 05 path 404', async () => {
        const [alice, bob] = [ctx.newUser(), ctx.newUser()];
        await dGet(bob, '/capabilities');
        const message = randomBytes(20).toString('base64');
        expect((await alice.post(`/inbox/15${'cd'.repeat(32)}`, { message })).code).toBe(404);
        expect((await alice.post(`/inbox/05${'cd'.repeat(32)}`, { message })).code).toBe(404);
        expect((await alice.post(`/inbox/${bob.sessionId}`, {})).code).toBe(400);
        expectText(await ctx.anon().post(`/inbox/${bob.sessionId}`, { message }), 401, 'X-SOGS-* request authentication required');
        expectText(await dGet(ctx.anon(), '/outbox'), 401, 'X-SOGS-* request authentication required');
      });

      it('limit clamps and ordering oldest first', async () => {
        const [alice, bob] = [ctx.newUser(), ctx.newUser()];
        await dGet(bob, '/capabilities');
        const ids: number[] = [];
        for (let i = 0; i < 3; i++) ids.push(jsonOf<{ id: number }>(await alice.post(`/inbox/${bob.sessionId}`, { message: randomBytes(8).toString('base64') }), 201).id);
        expect(jsonOf<Array<{ id: number }>>(await dGet(bob, '/inbox'), 200).map((m) => m.id)).toEqual(ids);
        expect(jsonOf<Array<{ id: number }>>(await dGet(bob, '/inbox?limit=2'), 200).map((m) => m.id)).toEqual(ids.slice(0, 2));
        expect(jsonOf<Array<{ id: number }>>(await dGet(bob, `/inbox/since/${ids[0]}`), 200).map((m) => m.id)).toEqual(ids.slice(1));
      });
    });
  });
}
