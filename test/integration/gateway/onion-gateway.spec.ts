import { SogsClient } from '../../../src/client';
import { bencodeList, type EncType } from '../../../src/crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { postFrame, sealFrame, v4Reply } from './frames';

// protocol §4 through real HTTP: onion v4 and v3, both ciphers, outer 400s, only-the-gateway-is-public.
const MAX_BODY = 64 * 1024;
let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ config: { ONION_MAX_BODY: MAX_BODY } });
});
afterAll(() => ctx.close());

const client = (onion: 'v4' | 'v3', encType: EncType, seed?: Uint8Array) => new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, onion, encType, seed });
const seed = () => new Uint8Array(32).map(() => Math.floor(Math.random() * 256));
const pubkey = () => ctx.server.serverKey.publicKey;

describe.each([
  ['v4', 'aes-gcm'],
  ['v4', 'xchacha20'],
  ['v3', 'aes-gcm'],
  ['v3', 'xchacha20'],
] as const)('onion %s with %s', (onion, encType) => {
  it('answers an anonymous and a signed request', async () => {
    for (const c of [client(onion, encType), client(onion, encType, seed())]) {
      const res = await c.get('/capabilities');
      expect(res.outerStatus).toBe(200);
      expect(res.code).toBe(200);
      expect(res.json()).toEqual({ capabilities: ['blind', 'reactions', 'sogs'] });
      if (onion === 'v4') expect(res.headers).toEqual({ 'content-type': 'application/json' });
    }
  });

  it('carries inner errors inside the encrypted reply with outer 200', async () => {
    const res = await client(onion, encType, seed()).get('/capabilities?required=sogs,teleport');
    expect(res.outerStatus).toBe(200);
    expect(res.code).toBe(412);
    if (onion === 'v4') expect(res.json()).toEqual({ capabilities: ['blind', 'reactions', 'sogs'], missing: ['teleport'] });
  });

  it('runs a signed POST with a body through the same auth', async () => {
    const c = client(onion, encType, seed());
    const res = await c.batch([{ method: 'GET', path: '/capabilities' }]);
    expect(res.code).toBe(200);
    expect(res.items).toEqual([{ code: 200, headers: { 'content-type': 'application/json' }, body: { capabilities: ['blind', 'reactions', 'sogs'] } }]);
  });
});

describe('v4 reply framing (protocol §4.5)', () => {
  it('returns the encrypted bencoded reply raw as application/octet-stream', async () => {
    const sealed = sealFrame(pubkey(), bencodeList([Buffer.from('{"method":"GET","endpoint":"/capabilities"}')]));
    const outer = await postFrame(ctx.url, sealed.frame);
    expect(outer.status).toBe(200);
    expect(outer.contentType).toBe('application/octet-stream');
    const plain = Buffer.from(sealed.open(outer.body)!);
    expect(plain.toString()).toBe('l58:{"code":200,"headers":{"content-type":"application/json"}}45:{"capabilities":["blind","reactions","sogs"]}e');
  });

  it('accepts an outer request without a content type (older service nodes, protocol §11)', async () => {
    const sealed = sealFrame(pubkey(), bencodeList([Buffer.from('{"method":"GET","endpoint":"/capabilities"}')]), 'xchacha20');
    const outer = await postFrame(ctx.url, sealed.frame, '/oxen/v4/lsrpc', null);
    expect(outer.status).toBe(200);
    expect(v4Reply(sealed.open(outer.body)!).meta.code).toBe(200);
  });

  it.each([
    ['bad bencode', Buffer.from('not bencode')],
    ['meta not JSON', bencodeList([Buffer.from('{')])],
    ['endpoint without /', bencodeList([Buffer.from('{"method":"GET","endpoint":"capabilities"}')])],
    ['three parts', bencodeList([Buffer.from('{"method":"GET","endpoint":"/"}'), Buffer.alloc(0), Buffer.alloc(0)])],
  ])('answers an invalid plaintext (%s) with the encrypted 400 of protocol §4.5', async (_what, plaintext) => {
    const sealed = sealFrame(pubkey(), plaintext);
    const outer = await postFrame(ctx.url, sealed.frame);
    expect(outer.status).toBe(200);
    const reply = v4Reply(sealed.open(outer.body)!);
    expect(reply.meta).toEqual({ code: 400, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    expect(reply.body.toString()).toBe('Invalid v4 onion request');
  });

  it('does not forward a client-supplied dispatch marker', async () => {
    const meta = { method: 'GET', endpoint: '/capabilities', headers: { 'X-SOGS-Dispatch': 'anything' } };
    const sealed = sealFrame(pubkey(), bencodeList([Buffer.from(JSON.stringify(meta))]));
    const reply = v4Reply(sealed.open((await postFrame(ctx.url, sealed.frame)).body)!);
    expect(reply.meta.code).toBe(200);
  });

  it('signs and routes a raw UTF-8 endpoint and its percent-encoded form alike', async () => {
    const c = ctx.newUser();
    // No such route: what matters is that auth passed (404, not 401) for both spellings.
    for (const path of ['/capabilities/🍍', '/capabilities/%F0%9F%8D%8D']) expect((await c.get(path)).code).toBe(404);
  });
});

describe('v3 (protocol §4.6)', () => {
  it('replies base64 with {"status_code": N} for a non-2xx', async () => {
    const res = await client('v3', 'aes-gcm', seed()).get('/no/such/route');
    expect(res.outerStatus).toBe(200);
    expect(res.json()).toEqual({ status_code: 404 });
  });

  it('answers a non-JSON plaintext with {"status_code": 400}', async () => {
    const sealed = sealFrame(pubkey(), Buffer.from('l3:abce'));
    const outer = await postFrame(ctx.url, sealed.frame, '/loki/v3/lsrpc');
    expect(outer.status).toBe(200);
    expect(Buffer.from(sealed.open(Buffer.from(outer.body.toString(), 'base64'))!).toString()).toBe('{"status_code":400}');
  });
});

describe('outer frame errors → 400 with a plain-text reason (protocol §4.2)', () => {
  const good = () => sealFrame(pubkey(), bencodeList([Buffer.from('{"method":"GET","endpoint":"/capabilities"}')])).frame;
  const withMeta = (meta: string, ciphertext = Buffer.alloc(40)) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(ciphertext.length);
    return Buffer.concat([len, ciphertext, Buffer.from(meta)]);
  };

  it.each([
    ['an empty body', Buffer.alloc(0), 'shorter than 4 bytes'],
    ['3 bytes', Buffer.from([1, 0, 0]), 'shorter than 4 bytes'],
    ['a length past the end', Buffer.from([0xff, 0, 0, 0, 1, 2, 3]), 'exceeds'],
    ['metadata that is not JSON', withMeta('{"ephemeral_key":'), 'JSON'],
    ['metadata that is a JSON array', withMeta('[]'), 'JSON object'],
    ['no ephemeral_key', withMeta('{"enc_type":"aes-gcm"}'), 'missing ephemeral_key'],
    ['an unknown enc_type', withMeta(`{"ephemeral_key":"${'11'.repeat(32)}","enc_type":"rot13"}`), 'enc_type'],
    ['a short ephemeral_key', withMeta('{"ephemeral_key":"abcd"}'), 'ephemeral_key'],
    ['a small-order ephemeral_key', withMeta(`{"ephemeral_key":"${'00'.repeat(32)}"}`), 'ephemeral_key'],
    ['ciphertext that does not decrypt', withMeta(`{"ephemeral_key":"${'11'.repeat(32)}"}`), 'decryption failed'],
  ])('%s', async (_what, frame, reason) => {
    const outer = await postFrame(ctx.url, frame);
    expect(outer.status).toBe(400);
    expect(outer.contentType).toBe('text/plain; charset=utf-8');
    expect(outer.body.toString()).toContain(reason);
  });

  it('counts refusals by reason on the admin port', async () => {
    const count = async () => {
      const text = await (await fetch(ctx.adminUrl + '/metrics')).text();
      return Number(/^scs_onion_decrypt_failures_total\{reason="decrypt"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await count();
    await postFrame(ctx.url, withMeta(`{"ephemeral_key":"${'22'.repeat(32)}"}`));
    expect(await count()).toBe(before + 1);
  });

  it('a tampered ciphertext', async () => {
    const frame = good();
    frame[10] ^= 1;
    const outer = await postFrame(ctx.url, frame);
    expect(outer.status).toBe(400);
    expect(outer.body.toString()).toContain('decryption failed');
  });

  it('refuses a body over ONION_MAX_BODY before decrypting, and accepts one at the limit', async () => {
    const over = await postFrame(ctx.url, Buffer.alloc(MAX_BODY + 1));
    expect(over.status).toBe(400);
    expect(over.body.toString()).toBe(`Invalid onion request: body exceeds ${MAX_BODY} bytes`);
    const padded = sealFrame(pubkey(), bencodeList([Buffer.from('{"method":"GET","endpoint":"/capabilities"}')]), 'aes-gcm', { pad: '' });
    const filler = MAX_BODY - padded.frame.length;
    const atLimit = sealFrame(pubkey(), bencodeList([Buffer.from('{"method":"GET","endpoint":"/capabilities"}')]), 'aes-gcm', { pad: 'x'.repeat(filler) });
    expect(atLimit.frame.length).toBe(MAX_BODY);
    const ok = await postFrame(ctx.url, atLimit.frame);
    expect(ok.status).toBe(200);
  });
});

describe('only the gateway is public (DESIGN, issue 9 item 3)', () => {
  it('refuses a direct request to an inner route with 403 and a reason', async () => {
    for (const [method, path] of [
      ['GET', '/capabilities'],
      ['POST', '/batch'],
      ['GET', '/inbox'],
      ['GET', '/no/such/route'],
    ]) {
      const res = await fetch(ctx.url + path, { method, body: method === 'POST' ? '[]' : undefined });
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/onion/);
    }
  });

  it('refuses a direct request that forges the dispatch marker', async () => {
    const res = await fetch(ctx.url + '/capabilities', { headers: { 'x-sogs-dispatch': 'x:1' } });
    expect(res.status).toBe(403);
  });

  it('answers direct requests when ALLOW_DIRECT_ROUTES is set', async () => {
    const open = await createTestContext({ config: { ALLOW_DIRECT_ROUTES: true } });
    try {
      const res = await fetch(open.url + '/capabilities');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ capabilities: ['blind', 'reactions', 'sogs'] });
    } finally {
      await open.close();
    }
  });
});
