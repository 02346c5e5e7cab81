import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  bdecodeList,
  bencodeList,
  blind15IdFromSeed,
  bytesToHex,
  decodeHexOrBase64,
  ed25519PublicKey,
  onionDecrypt,
  onionEncrypt,
  onionSharedKey,
  parseEncType,
  parseEphemeralKey,
  parseOnionFrame,
  sessionIdFromEd25519Pub,
  sogsSignedMessage,
  verifyEd25519Strict,
  x25519KeyPair,
  type EncType,
} from '../../../src/crypto';
import { buildOnionRequest, parseServerUrl, probe, SogsClient, SogsClientError, type OnionVersion } from '../../../src/client';
import { hex, section, toHex } from '../crypto/vectors';

/*
 * The client against a minimal in-test gateway built only from src/crypto: it decrypts the frame,
 * decodes the inner request, verifies the X-SOGS signature and answers with what it saw. The real
 * app is exercised by the gateway's integration tests.
 */

interface Seen {
  method: string;
  endpoint: string;
  headers: Record<string, string>;
  body: string | null;
  signatureValid: boolean | null;
  encType: EncType;
}

const server = x25519KeyPair();

function verifyInner(method: string, endpoint: string, headers: Record<string, string>, body: Buffer | undefined): boolean | null {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  if (!lower['x-sogs-pubkey']) return null;
  const pub = decodeHexOrBase64(lower['x-sogs-pubkey'], 33);
  const nonce = decodeHexOrBase64(lower['x-sogs-nonce'], 16);
  const sig = decodeHexOrBase64(lower['x-sogs-signature'], 64);
  if (!pub || !nonce || !sig) return false;
  const [path, query] = endpoint.split('?');
  const msg = sogsSignedMessage({
    serverPubkey: server.publicKey,
    nonce,
    timestamp: lower['x-sogs-timestamp'],
    method,
    path,
    query: query ?? '',
    body,
  });
  return verifyEd25519Strict(sig, msg, pub.subarray(1));
}

function handle(version: OnionVersion, raw: Buffer): { status: number; body: Buffer | string } {
  let frame;
  try {
    frame = parseOnionFrame(raw);
  } catch (e) {
    return { status: 400, body: (e as Error).message };
  }
  const encType = parseEncType(frame.meta.enc_type);
  const A = parseEphemeralKey(frame.meta.ephemeral_key);
  if (!encType || !A) return { status: 400, body: 'bad meta' };
  const key = onionSharedKey(encType, server.privateKey, server.publicKey, A);
  const plain = onionDecrypt(encType, key, frame.ciphertext);
  if (!plain) return { status: 400, body: 'decrypt failed' };
  let seen: Seen;
  if (version === 'v4') {
    const [meta, body] = bdecodeList(plain);
    const m = JSON.parse(meta.toString()) as { method: string; endpoint: string; headers: Record<string, string> };
    seen = { ...m, body: body?.toString() ?? null, signatureValid: verifyInner(m.method, m.endpoint, m.headers, body), encType };
  } else {
    const m = JSON.parse(Buffer.from(plain).toString()) as { method: string; endpoint: string; headers: Record<string, string>; body?: string };
    const body = m.body === undefined ? undefined : Buffer.from(m.body);
    seen = { method: m.method, endpoint: m.endpoint, headers: m.headers, body: m.body ?? null, signatureValid: verifyInner(m.method, m.endpoint, m.headers, body), encType };
  }
  const status = seen.endpoint.startsWith('/missing') ? 404 : 200;
  let replyBody: Buffer;
  if (seen.endpoint === '/batch' || seen.endpoint === '/sequence') {
    const subs = JSON.parse(seen.body ?? '[]') as { path: string }[];
    replyBody = Buffer.from(JSON.stringify(subs.map((s) => ({ code: 200, headers: { 'content-type': 'application/json' }, body: { path: s.path } }))));
  } else if (seen.endpoint === '/capabilities') {
    replyBody = Buffer.from(JSON.stringify({ capabilities: ['blind', 'reactions', 'sogs'] }));
  } else {
    replyBody = Buffer.from(JSON.stringify(seen));
  }
  if (version === 'v4') {
    const reply = bencodeList([Buffer.from(JSON.stringify({ code: status, headers: { 'content-type': 'application/json', 'X-Extra': 'x' } })), replyBody]);
    return { status: 200, body: onionEncrypt(encType, key, reply) };
  }
  const v3Plain = status === 200 ? replyBody : Buffer.from(JSON.stringify({ status_code: status }));
  return { status: 200, body: onionEncrypt(encType, key, v3Plain).toString('base64') };
}

let http: Server;
let baseUrl: string;

beforeAll(async () => {
  http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const version: OnionVersion | null = req.url === '/oxen/v4/lsrpc' ? 'v4' : req.url === '/oxen/v3/lsrpc' ? 'v3' : null;
      if (!version) {
        res.writeHead(404).end();
        return;
      }
      const out = handle(version, Buffer.concat(chunks));
      res.writeHead(out.status, { 'content-type': 'application/octet-stream' }).end(out.body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

describe('SogsClient through a crypto-only gateway', () => {
  const cases: [OnionVersion, EncType, boolean][] = [
    ['v4', 'aes-gcm', true],
    ['v4', 'xchacha20', true],
    ['v4', 'aes-gcm', false],
    ['v3', 'aes-gcm', true],
    ['v3', 'xchacha20', false],
  ];

  it.each(cases)('%s %s blind=%s: signed GET and POST round-trip', async (onion, encType, blind) => {
    const seed = new Uint8Array(randomBytes(32));
    const client = new SogsClient({ baseUrl, serverPubkey: bytesToHex(server.publicKey), seed, blind, onion, encType });
    expect(client.sessionId).toBe(blind ? blind15IdFromSeed(seed, server.publicKey) : sessionIdFromEd25519Pub(ed25519PublicKey(seed)));

    const get = await client.get('/room/lobby/messages/since/5?t=r&reactors=5');
    expect(get.code).toBe(200);
    expect(get.outerStatus).toBe(200);
    const seenGet = get.json<Seen>();
    expect(seenGet.method).toBe('GET');
    expect(seenGet.endpoint).toBe('/room/lobby/messages/since/5?t=r&reactors=5');
    expect(seenGet.body).toBeNull();
    expect(seenGet.signatureValid).toBe(true);
    expect(seenGet.encType).toBe(encType);
    expect(seenGet.headers['X-SOGS-Pubkey']).toBe(client.authPubkey);
    expect(seenGet.headers['X-SOGS-Nonce']).toHaveLength(24);

    const post = await client.post('/room/lobby/message', { data: 'aGk=', signature: 'x' });
    const seenPost = post.json<Seen>();
    expect(seenPost.body).toBe('{"data":"aGk=","signature":"x"}');
    expect(seenPost.headers['Content-Type']).toBe('application/json');
    expect(seenPost.signatureValid).toBe(true);

    const missing = await client.delete('/missing/thing');
    expect(missing.code).toBe(404);
    if (onion === 'v4') expect(missing.headers).toEqual({ 'content-type': 'application/json', 'x-extra': 'x' });
  });

  it('signs percent-encoded paths over the decoded bytes', async () => {
    const client = SogsClient.withRandomSeed({ baseUrl, serverPubkey: server.publicKey });
    const res = await client.put('/room/x/reaction/1/%F0%9F%8D%8D');
    expect(res.json<Seen>().signatureValid).toBe(true);
  });

  it('anonymous clients send no X-SOGS headers', async () => {
    const anon = new SogsClient({ baseUrl, serverPubkey: server.publicKey });
    expect(anon.sessionId).toBeNull();
    expect(anon.signHeaders('GET', '/rooms')).toEqual({});
    const seen = (await anon.get('/rooms')).json<Seen>();
    expect(seen.headers).toEqual({});
    expect(seen.signatureValid).toBeNull();
  });

  it('raw bodies are octet-stream and extra headers replace generated ones', async () => {
    const client = SogsClient.withRandomSeed({ baseUrl, serverPubkey: server.publicKey });
    const up = (await client.request({ method: 'POST', path: '/room/x/file', body: 'file bytes', headers: { 'content-type': 'image/png' } })).json<Seen>();
    expect(up.headers['content-type']).toBe('image/png');
    expect(up.headers['Content-Type']).toBeUndefined();
    expect(up.body).toBe('file bytes');
    expect(up.signatureValid).toBe(true);
    // a forged timestamp header after signing breaks the signature, as a test of auth failures needs
    const forged = (await client.request({ method: 'GET', path: '/x', headers: { 'X-SOGS-Timestamp': '1' } })).json<Seen>();
    expect(forged.signatureValid).toBe(false);
  });

  it('fixed nonce and timestamp are used as given', async () => {
    const client = SogsClient.withRandomSeed({ baseUrl, serverPubkey: server.publicKey });
    const nonce = new Uint8Array(16).fill(7);
    const h = client.signHeaders('GET', '/x', undefined, { nonce, timestamp: 1700000000 });
    expect(h['X-SOGS-Nonce']).toBe(Buffer.from(nonce).toString('base64'));
    expect(h['X-SOGS-Timestamp']).toBe('1700000000');
    const seen = (await client.get('/x', { nonce, timestamp: '1700000000' })).json<Seen>();
    expect(seen.headers['X-SOGS-Signature']).toBe(h['X-SOGS-Signature']);
  });

  it('batch and sequence post signed JSON arrays and expose the items', async () => {
    const client = SogsClient.withRandomSeed({ baseUrl, serverPubkey: server.publicKey });
    const res = await client.batch([
      { method: 'GET', path: '/capabilities' },
      { method: 'GET', path: '/rooms' },
    ]);
    expect(res.code).toBe(200);
    expect(res.items.map((i) => i.body)).toEqual([{ path: '/capabilities' }, { path: '/rooms' }]);
    const seq = await client.sequence([{ method: 'POST', path: '/a', json: { x: 1 } }]);
    expect(seq.items).toHaveLength(1);
  });

  it('non-200 outer status is returned as the code with the raw body', async () => {
    const client = SogsClient.withRandomSeed({ baseUrl, serverPubkey: server.publicKey });
    const raw = await client.sendRawFrame(new Uint8Array([1, 2]));
    expect(raw.status).toBe(400);
    const built = client.buildOnionRequest({ method: 'GET', path: '/x' });
    const res = built.decodeReply(Buffer.from('Invalid onion request'), 400);
    expect(res.code).toBe(400);
    expect(res.outerStatus).toBe(400);
    expect(res.text()).toBe('Invalid onion request');
  });

  it('a reply under another key is a SogsClientError', () => {
    const client = SogsClient.withRandomSeed({ baseUrl, serverPubkey: server.publicKey });
    const built = client.buildOnionRequest({ method: 'GET', path: '/x' });
    expect(() => built.decodeReply(randomBytes(80))).toThrow(SogsClientError);
  });

  it('pre-built requests can be sent later (benchmark use)', async () => {
    const client = SogsClient.withRandomSeed({ baseUrl, serverPubkey: server.publicKey, encType: 'xchacha20' });
    const built = [0, 1, 2].map(() => client.buildOnionRequest({ method: 'GET', path: '/y' }));
    const replies = await Promise.all(
      built.map(async (b) => {
        const raw = await client.sendRawFrame(b.frame, b.path);
        return b.decodeReply(raw.body, raw.status).json<Seen>();
      }),
    );
    const nonces = new Set(replies.map((r) => r.headers['X-SOGS-Nonce']));
    expect(nonces.size).toBe(3);
    expect(replies.every((r) => r.signatureValid)).toBe(true);
  });

  it('probe sends a signed /capabilities and accepts a join URL', async () => {
    const joinUrl = `${baseUrl}/lobby?public_key=${bytesToHex(server.publicKey)}`;
    const result = await probe(joinUrl);
    expect(result.code).toBe(200);
    expect(result.capabilities).toEqual(['blind', 'reactions', 'sogs']);
    expect(result.baseUrl).toBe(baseUrl);
    expect(result.ms).toBeGreaterThan(0);
  });
});

describe('parseServerUrl', () => {
  const key = 'ab'.repeat(32);
  it('splits join URLs, keeps plain base URLs', () => {
    expect(parseServerUrl(`http://h:8080/lobby?public_key=${key}`)).toEqual({ baseUrl: 'http://h:8080', serverPubkey: key });
    expect(parseServerUrl(`https://h/sogs/lobby?public_key=${key.toUpperCase()}`)).toEqual({ baseUrl: 'https://h/sogs', serverPubkey: key });
    expect(parseServerUrl('http://h:8080/', key)).toEqual({ baseUrl: 'http://h:8080', serverPubkey: key });
  });
  it('needs a key', () => {
    expect(() => parseServerUrl('http://h/')).toThrow(/public key/);
    expect(() => parseServerUrl('http://h/?public_key=zz')).toThrow(/public key/);
  });
});

describe('client encoding against derived_onion_v4_roundtrip', () => {
  const v = section<{
    server_x25519_pubkey: string;
    client_ephemeral_privkey: string;
    client_ephemeral_pubkey: string;
    client_ed25519_seed: string;
    inner_headers: Record<string, string>;
    xchacha20: { nonce: string; request_frame: string };
    aes_gcm: { iv: string; request_frame: string };
  }>('derived_onion_v4_roundtrip');

  it.each([
    ['xchacha20', 'xchacha20'],
    ['aes-gcm', 'aes_gcm'],
  ] as const)('%s: signed headers and ciphertext are the vector bytes', (encType, dirKey) => {
    const client = new SogsClient({ baseUrl: 'http://unused', serverPubkey: v.server_x25519_pubkey, seed: hex(v.client_ed25519_seed) });
    const endpoint = '/room/test-room/messages/since/0?t=r&reactors=5';
    const headers = client.signHeaders('GET', endpoint, undefined, {
      nonce: decodeHexOrBase64(v.inner_headers['X-SOGS-Nonce'], 16) ?? undefined,
      timestamp: v.inner_headers['X-SOGS-Timestamp'],
    });
    expect(headers).toEqual(v.inner_headers);
    const dir = v[dirKey];
    const fixedNonce = 'nonce' in dir ? dir.nonce : dir.iv;
    const built = buildOnionRequest(
      { method: 'GET', endpoint, headers },
      { serverPubkey: hex(v.server_x25519_pubkey), onion: 'v4', encType },
      { ephemeral: { privateKey: hex(v.client_ephemeral_privkey), publicKey: hex(v.client_ephemeral_pubkey) }, nonce: hex(fixedNonce) },
    );
    const ours = parseOnionFrame(built.frame);
    const theirs = parseOnionFrame(hex(dir.request_frame));
    expect(toHex(ours.ciphertext)).toBe(toHex(theirs.ciphertext));
    expect(ours.meta.ephemeral_key).toBe(theirs.meta.ephemeral_key);
    expect(parseEncType(ours.meta.enc_type)).toBe(encType);
  });
});
