// Conformance (black box) of the onion layer as service nodes and clients deliver it: protocol §4.2
// outer framing quirks (no Content-Type, enc_type aliases, /loki path), §4.5 framing of 304 and
// error replies, §3.3 desktop reaction signing (signed decoded, sent encoded).
import { randomBytes } from 'node:crypto';
import { SogsClient } from '../../../src/client';
import {
  bdecodeList,
  bencodeList,
  buildOnionFrame,
  bytesToHex,
  onionDecrypt,
  onionEncrypt,
  onionKeyFromSecret,
  x25519KeyPair,
  x25519SharedSecret,
  type EncType,
} from '../../../src/crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, messageBody } from '../../support/rooms-fixtures';
import { jsonOf, rawV4Reply } from '../desktop';

export function onionSuite(): void {
  describe('protocol §4 onion layer', () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestContext();
      await createRoom(ctx, 'o');
    });
    afterAll(() => ctx?.close());

    /** A v4 frame sent the way a service node forwards it, with a chosen enc_type string and outer headers. */
    async function sendV4(
      meta: { method: string; endpoint: string; headers?: Record<string, string> },
      opts: { encType: EncType; encName?: string; path?: string; outerHeaders?: Record<string, string>; body?: Uint8Array; extra?: Uint8Array },
    ) {
      const serverPubkey = Buffer.from(ctx.serverPubkeyHex, 'hex');
      const eph = x25519KeyPair();
      const key = onionKeyFromSecret(opts.encType, x25519SharedSecret(eph.privateKey, serverPubkey), eph.publicKey, serverPubkey);
      const items = [Buffer.from(JSON.stringify(meta))];
      if (opts.body) items.push(Buffer.from(opts.body));
      if (opts.extra) items.push(Buffer.from(opts.extra));
      const outerMeta: Record<string, unknown> = {
        ephemeral_key: bytesToHex(eph.publicKey),
        host: 'example.org',
        target: '/oxen/v4/lsrpc',
        method: 'POST',
        protocol: 'https',
        port: 443,
      };
      if (opts.encName) outerMeta.enc_type = opts.encName;
      const frame = buildOnionFrame(onionEncrypt(opts.encType, key, bencodeList(items)), outerMeta);
      const res = await fetch(ctx.url + (opts.path ?? '/oxen/v4/lsrpc'), { method: 'POST', body: frame, headers: opts.outerHeaders ?? {} });
      const raw = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) return { status: res.status, items: [] as Buffer[] };
      const plain = onionDecrypt(opts.encType, key, raw);
      if (!plain) throw new Error('reply not decryptable');
      return { status: res.status, items: bdecodeList(plain) };
    }

    describe('protocol §4.2 outer framing', () => {
      it.each([
        ['aes-gcm', undefined],
        ['aes-gcm', 'aes-gcm'],
        ['aes-gcm', 'gcm'],
        ['xchacha20', 'xchacha20'],
        ['xchacha20', 'xchacha20-poly1305'],
      ] as const)('%s named %s, outer POST without Content-Type', async (encType, encName) => {
        const { status, items } = await sendV4({ method: 'GET', endpoint: '/capabilities' }, { encType, encName });
        expect(status).toBe(200);
        expect(JSON.parse(items[0].toString())).toEqual({ code: 200, headers: { 'content-type': 'application/json' } });
        expect(JSON.parse(items[1].toString())).toEqual({ capabilities: ['blind', 'reactions', 'sogs'] });
      });

      it('/loki/v3/lsrpc is the v3 gateway too', async () => {
        const client = SogsClient.withRandomSeed({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, onion: 'v3' });
        const built = client.buildOnionRequest({ method: 'GET', path: '/capabilities' });
        const raw = await client.sendRawFrame(built.frame, '/loki/v3/lsrpc');
        expect(raw.status).toBe(200);
        expect(built.decodeReply(raw.body).json()).toEqual({ capabilities: ['blind', 'reactions', 'sogs'] });
      });

      it('an unknown enc_type or a missing ephemeral_key → outer 400', async () => {
        expect((await sendV4({ method: 'GET', endpoint: '/capabilities' }, { encType: 'aes-gcm', encName: 'rot13' })).status).toBe(400);
        const res = await fetch(ctx.url + '/oxen/v4/lsrpc', { method: 'POST', body: buildOnionFrame(randomBytes(40), {}) });
        expect(res.status).toBe(400);
      });
    });

    describe('protocol §4.4/§4.6 inner request rules', () => {
      it('a v4 list of three strings → encrypted 400 "Invalid v4 onion request"', async () => {
        const { status, items } = await sendV4({ method: 'POST', endpoint: '/capabilities' }, { encType: 'aes-gcm', body: Buffer.from('{}'), extra: Buffer.from('x') });
        expect(status).toBe(200);
        expect(JSON.parse(items[0].toString())).toEqual({ code: 400, headers: { 'content-type': 'text/plain; charset=utf-8' } });
        expect(items[1].toString()).toBe('Invalid v4 onion request');
      });

      it('v3 GET with the literal body "null" (old Android) is treated as no body; another body → 400', async () => {
        const v3 = SogsClient.withRandomSeed({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, onion: 'v3' });
        const ok = await v3.request({ method: 'GET', path: '/room/o', body: 'null', headers: v3.signHeaders('GET', '/room/o') });
        expect(ok.code).toBe(200);
        expect(ok.json<{ token: string }>().token).toBe('o');
        expect((await v3.request({ method: 'GET', path: '/room/o', body: 'x', headers: v3.signHeaders('GET', '/room/o') })).json()).toEqual({ status_code: 400 });
        // legacy (no leading "/") endpoints are not served
        expect((await v3.get('rooms')).json()).toEqual({ status_code: 404 });
      });
    });

    describe('protocol §4.5 framing of non-JSON replies', () => {
      it('304 has an empty body and no JSON content type (clients would parse it)', async () => {
        const { plaintext } = await rawV4Reply(ctx.newUser(), { method: 'GET', path: '/inbox/since/0', headers: { 'Content-Type': 'application/json' } });
        const [meta, body] = bdecodeList(plaintext);
        const parsed = JSON.parse(meta.toString()) as { code: number; headers: Record<string, string> };
        expect(parsed.code).toBe(304);
        expect(body).toHaveLength(0);
        expect(parsed.headers['content-type']).not.toBe('application/json');
        for (const name of Object.keys(parsed.headers)) expect(name).toBe(name.toLowerCase());
      });

      it('file download headers are lower-case and carry no content-length', async () => {
        const alice = ctx.newUser();
        const up = await alice.request({ method: 'POST', path: '/room/o/file', body: Buffer.from('abc'), headers: { 'Content-Type': 'application/octet-stream' } });
        const id = jsonOf<{ id: number }>(up, 201).id;
        const { plaintext } = await rawV4Reply(alice, { method: 'GET', path: `/room/o/file/${id}` });
        const [meta, body] = bdecodeList(plaintext);
        const parsed = JSON.parse(meta.toString()) as { code: number; headers: Record<string, string> };
        expect(parsed.code).toBe(200);
        expect(body.toString()).toBe('abc');
        expect(Object.keys(parsed.headers).sort()).toEqual(['content-disposition', 'content-type', 'date', 'expires']);
        expect(parsed.headers['content-type']).toBe('application/octet-stream');
      });
    });

    describe('protocol §3.3 desktop reaction requests', () => {
      it('signed over the decoded path, sent percent-encoded (and the reverse)', async () => {
        const alice = ctx.newUser();
        const m = jsonOf<{ id: number }>(await alice.post('/room/o/message', messageBody()), 201);
        const decoded = `/room/o/reaction/${m.id}/🍍`;
        const encoded = `/room/o/reaction/${m.id}/${encodeURIComponent('🍍')}`;
        // explicit X-SOGS-* headers replace the ones the client would generate for `encoded`
        const sent = await alice.request({ method: 'PUT', path: encoded, headers: { 'Content-Type': 'application/json', ...alice.signHeaders('PUT', decoded) } });
        expect(sent.code).toBe(200);
        const { plaintext } = await rawV4Reply(alice, { method: 'DELETE', path: encoded, headers: { ...alice.signHeaders('DELETE', decoded) } });
        const [meta, body] = bdecodeList(plaintext);
        expect(JSON.parse(meta.toString()).code).toBe(200);
        expect(JSON.parse(body.toString())).toEqual({ removed: true, seqno: expect.any(Number) });
      });
    });
  });
}
