// Conformance (black box, onion requests only): protocol §4.5 reply framing, §6.1 capabilities, batch
// and sequence, §3.2 auth errors, §11 desktop quirks (poll batches, JSON content type on GETs).
import { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, messageBody } from '../../support/rooms-fixtures';
import { dBodyless, dGet, expectText, jsonOf, keysOf, rawV4Reply } from '../desktop';

export function generalSuite(): void {
  describe('protocol §4.5/§6.1/§3.2 gateway, general routes and auth', () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestContext();
      await createRoom(ctx, 'lobby', { description: 'the lobby' });
    });
    afterAll(() => ctx?.close());

    const CAPS = { capabilities: ['blind', 'reactions', 'sogs'] };

    describe('protocol §4.5 v4 reply framing', () => {
      it.each(['aes-gcm', 'xchacha20'] as const)('JSON reply is l<meta><body>e with exactly {"content-type":"application/json"} (%s)', async (enc) => {
        const { status, plaintext } = await rawV4Reply(ctx.newUser(), { method: 'GET', path: '/capabilities' }, enc);
        expect(status).toBe(200);
        expect(plaintext[0]).toBe('l'.charCodeAt(0));
        expect(plaintext[plaintext.length - 1]).toBe('e'.charCodeAt(0));
        const m = /^l(\d+):/.exec(plaintext.toString('latin1'))!;
        const metaLen = Number(m[1]);
        const meta = JSON.parse(plaintext.subarray(m[0].length, m[0].length + metaLen).toString()) as unknown;
        expect(meta).toEqual({ code: 200, headers: { 'content-type': 'application/json' } });
        const rest = plaintext.subarray(m[0].length + metaLen).toString();
        const b = /^(\d+):/.exec(rest)!;
        const body = rest.slice(b[0].length, -1);
        expect(Buffer.byteLength(body)).toBe(Number(b[1]));
        expect(JSON.parse(body)).toEqual(CAPS);
      });

      it('errors travel inside an outer 200 with text/plain; charset=utf-8', async () => {
        const { status, plaintext } = await rawV4Reply(ctx.newUser(), { method: 'GET', path: '/room/lobby/messages/since/0?t=r&reactors=5', headers: { 'X-SOGS-Nonce': 'short' } });
        expect(status).toBe(200);
        const text = plaintext.toString();
        expect(text.startsWith('l')).toBe(true);
        expect(text).toContain('"code":400');
        expect(text).toContain('"content-type":"text/plain; charset=utf-8"');
        expect(text).toContain('Invalid authentication: X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)');
      });

      it('an unparseable inner v4 request gets an encrypted 400 "Invalid v4 onion request"', async () => {
        const { status, plaintext } = await rawV4Reply(ctx.newUser(), { method: 'GET', path: 'capabilities' });
        expect(status).toBe(200);
        const text = plaintext.toString();
        expect(text).toContain('{"code":400,"headers":{"content-type":"text/plain; charset=utf-8"}}');
        expect(text.endsWith('24:Invalid v4 onion requeste')).toBe(true);
      });
    });

    describe('protocol §6.1 GET /capabilities', () => {
      it.each([
        ['v4', 'aes-gcm'],
        ['v4', 'xchacha20'],
        ['v3', 'aes-gcm'],
        ['v3', 'xchacha20'],
      ] as const)('anonymous and signed over %s/%s', async (onion, encType) => {
        const anon = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, onion, encType });
        expect((await dGet(anon, '/capabilities')).json()).toEqual(CAPS);
        const user = SogsClient.withRandomSeed({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, onion, encType });
        const res = await dGet(user, '/capabilities');
        expect(res.code).toBe(200);
        expect(res.json()).toEqual(CAPS);
      });

      it('required: 200 when all present, 412 with missing in request order otherwise', async () => {
        const user = ctx.newUser();
        expect(jsonOf(await dGet(user, '/capabilities?required=sogs,blind'), 200)).toEqual(CAPS);
        expect(jsonOf(await dGet(user, '/capabilities?required=zeta,sogs,alpha'), 412)).toEqual({ ...CAPS, missing: ['zeta', 'alpha'] });
      });
    });

    describe('protocol §6.1/§11 batch and sequence as desktop polls', () => {
      it('a desktop poll batch returns one {code, headers, body} per sub-request', async () => {
        const alice = ctx.newUser();
        const res = await alice.batch([
          { method: 'GET', path: '/capabilities', headers: { 'Content-Type': 'application/json' } },
          { method: 'GET', path: '/room/lobby/messages/since/0?t=r&reactors=5' },
          { method: 'GET', path: '/room/lobby/pollInfo/0' },
          { method: 'GET', path: '/inbox/since/0' },
          { method: 'GET', path: '/outbox/since/0' },
          { method: 'GET', path: '/room/nope/pollInfo/0' },
          { method: 'GET', path: '/room/lobby/pollInfo/7' },
        ]);
        expect(res.code).toBe(200);
        expect(res.headers['content-type']).toBe('application/json');
        const items = res.items;
        expect(items).toHaveLength(7);
        for (const item of items) expect(keysOf(item)).toEqual(['body', 'code', 'headers']);
        expect(items[0]).toEqual({ code: 200, headers: { 'content-type': 'application/json' }, body: CAPS });
        expect(items[1]).toEqual({ code: 200, headers: { 'content-type': 'application/json' }, body: [] });
        expect(items[2].code).toBe(200);
        expect(keysOf(items[2].body)).toEqual(['active_users', 'read', 'token', 'upload', 'write']); // info_updates unchanged (0)
        expect(keysOf(items[6].body)).toEqual(['active_users', 'details', 'read', 'token', 'upload', 'write']);
        expect(items[3].code).toBe(304);
        expect(items[3].body).toBe('');
        expect(items[4].code).toBe(304);
        expect(items[5].code).toBe(404);
        expect(typeof items[5].body).toBe('string'); // non-JSON sub-responses are base64
      });

      it('JSON, b64 and bytes sub-bodies; non-JSON replies are base64', async () => {
        const alice = ctx.newUser();
        const msg = messageBody();
        const res = await alice.batch([
          { method: 'POST', path: '/room/lobby/message', json: msg },
          { method: 'POST', path: '/room/lobby/file', b64: Buffer.from('file one').toString('base64') },
          { method: 'POST', path: '/room/lobby/file', bytes: 'file two' },
          { method: 'GET', path: '/room/lobby/message/999999' },
        ]);
        expect(res.items.map((i) => i.code)).toEqual([201, 201, 201, 404]);
        const fileId = (res.items[1].body as { id: number }).id;
        expect(typeof fileId).toBe('number');
        const dl = await alice.batch([{ method: 'GET', path: `/room/lobby/file/${fileId}` }]);
        expect(dl.items[0].code).toBe(200);
        expect(dl.items[0].headers['content-type']).toBe('application/octet-stream');
        expect(Buffer.from(dl.items[0].body as string, 'base64').toString()).toBe('file one');
      });

      it('sequence stops after the first non-2xx and omits the rest', async () => {
        const res = await ctx.newUser().sequence([
          { method: 'GET', path: '/capabilities' },
          { method: 'GET', path: '/room/nope' },
          { method: 'GET', path: '/capabilities' },
        ]);
        expect(res.code).toBe(200);
        expect(res.items.map((i) => i.code)).toEqual([200, 404]);
      });

      it('an invalid element rejects the whole batch with 400 before running anything', async () => {
        const alice = ctx.newUser();
        const bad = await alice.request({
          method: 'POST',
          path: '/batch',
          json: [
            { method: 'POST', path: '/room/lobby/message', json: messageBody() },
            { method: 'GET', path: '/capabilities', json: {} },
          ],
        });
        expect(bad.code).toBe(400);
        const since = jsonOf<unknown[]>(await dGet(alice, '/room/lobby/messages/since/0?t=r&reactors=5'), 200);
        expect(since.every((m) => (m as { session_id: string }).session_id !== alice.sessionId)).toBe(true);
        expect((await alice.request({ method: 'POST', path: '/batch', json: { method: 'GET', path: '/capabilities' } })).code).toBe(400);
        expect((await alice.request({ method: 'POST', path: '/sequence', json: [{ method: 'GET', path: 'capabilities' }] })).code).toBe(400);
      });
    });

    describe('protocol §3.2/§3.4 auth errors (exact texts)', () => {
      it('missing headers, bad timestamp, bad signature, nonce reuse', async () => {
        const alice = ctx.newUser();
        const signed = alice.signHeaders('GET', '/room/lobby');
        const { ['X-SOGS-Nonce']: _n, ...three } = signed;
        expectText(await ctx.anon().request({ method: 'GET', path: '/room/lobby', headers: three }), 400, 'Invalid authentication headers: missing 1/4 required X-SOGS-* headers');
        expectText(
          await alice.get('/room/lobby', { timestamp: Math.floor(Date.now() / 1000) - 86_500 }),
          425,
          'Invalid authentication: X-SOGS-Timestamp is too far from current time',
        );
        expectText(await alice.get('/room/lobby', { timestamp: 'abc' }), 400, 'Invalid authentication: X-SOGS-Timestamp is not a valid timestamp');
        expectText(await ctx.anon().request({ method: 'GET', path: '/room/LOBBY', headers: signed }), 401, 'Invalid authentication: X-SOGS-Signature verification failed');
        const nonce = new Uint8Array(16).fill(7);
        expect((await alice.post('/room/lobby/message', messageBody(), { nonce })).code).toBe(201);
        expectText(await alice.post('/room/lobby/message', messageBody(), { nonce }), 425, 'Invalid authentication: X-SOGS-Nonce cannot be reused');
        const unblinded = ctx.newUser({ blind: false });
        expectText(await dGet(unblinded, '/room/lobby'), 400, 'Invalid authentication: this server requires the use of blinded ids');
      });

      it('user_required routes answer 401 with the exact text to anonymous callers', async () => {
        expectText(await ctx.anon().post('/room/lobby/message', messageBody()), 401, 'X-SOGS-* request authentication required');
        expectText(await dGet(ctx.anon(), '/inbox'), 401, 'X-SOGS-* request authentication required');
      });

      it('a body-less PUT/DELETE with Content-Type application/json is treated as {} (protocol §11)', async () => {
        const alice = ctx.newUser();
        const posted = jsonOf<{ id: number }>(await alice.post('/room/lobby/message', messageBody()), 201);
        expect(jsonOf(await dBodyless(alice, 'PUT', `/room/lobby/reaction/${posted.id}/👍`), 200)).toEqual({ added: true, seqno: expect.any(Number) });
        expect(jsonOf(await dBodyless(alice, 'DELETE', `/room/lobby/reaction/${posted.id}/👍`), 200)).toEqual({ removed: true, seqno: expect.any(Number) });
        // and an explicitly empty body with the JSON content type
        const empty = await alice.request({ method: 'PUT', path: `/room/lobby/reaction/${posted.id}/🎉`, body: '', headers: { 'Content-Type': 'application/json' } });
        expect(jsonOf(empty, 200)).toEqual({ added: true, seqno: expect.any(Number) });
      });
    });
  });
}
