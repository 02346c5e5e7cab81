import {
  bdecodeList,
  bencodeList,
  blake2b,
  blind15IdFromSeed,
  blind15IdsFromSessionId,
  blind15KeyPair,
  blind15Sign,
  blindedAbs,
  blindingFactor,
  bytesToNumberLE,
  decodeHexOrBase64,
  ed25519PublicKey,
  ed25519Sign,
  fileServerContentId,
  isSogsAuthPrefix,
  isValidEd25519Point,
  numberToBytesLE,
  onionDecrypt,
  onionEncrypt,
  onionKeyFromSecret,
  onionSharedKey,
  parseEncType,
  parseEphemeralKey,
  parseOnionFrame,
  sessionIdFromEd25519Pub,
  sessionIdPrefix,
  sogsSignedMessage,
  verifyEd25519Strict,
  x25519PublicKey,
  x25519SharedSecret,
} from '../../../src/crypto';
import { b64, hex, section, toHex, utf8 } from './vectors';

// Every section of test/fixtures/vectors/sogs-vectors.json that applies to the server (issue 9 item 1).

interface Blind15Case {
  ed25519_seed: string;
  ed25519_pubkey: string;
  session_id: string;
  blinded_id: string;
  blinded_abs: string;
  blinded_neg: string;
}

describe('blind15_derivation', () => {
  const v = section<{ server_pubkey_x25519: string; blinding_factor_k: string; cases: Blind15Case[] }>('blind15_derivation');
  const serverPk = hex(v.server_pubkey_x25519);

  it('has 20 cases', () => expect(v.cases).toHaveLength(20));

  it('computes the blinding factor k', () => {
    expect(toHex(numberToBytesLE(blindingFactor(serverPk), 32))).toBe(v.blinding_factor_k);
  });

  it.each(v.cases.map((c, i) => [i, c] as const))('case %i: seed → pubkey, 05 id, 15 id, abs/neg', (_i, c) => {
    const seed = hex(c.ed25519_seed);
    expect(toHex(ed25519PublicKey(seed))).toBe(c.ed25519_pubkey);
    expect(sessionIdFromEd25519Pub(hex(c.ed25519_pubkey))).toBe(c.session_id);
    expect(blind15IdFromSeed(seed, serverPk)).toBe(c.blinded_id);
    expect(blind15IdsFromSessionId(c.session_id, serverPk)).toEqual({ abs: c.blinded_abs, neg: c.blinded_neg });
    expect([c.blinded_abs, c.blinded_neg]).toContain(c.blinded_id);
    expect(blindedAbs(c.blinded_id)).toBe(c.blinded_abs);
    expect(blindedAbs(c.blinded_neg)).toBe(c.blinded_abs);
    // a blinded signature made as clients make it verifies under kA
    const msg = utf8(`case message ${c.ed25519_seed}`);
    const sig = blind15Sign(seed, serverPk, msg);
    expect(verifyEd25519Strict(sig, msg, hex(c.blinded_id.slice(2)))).toBe(true);
    expect(verifyEd25519Strict(sig, utf8('other'), hex(c.blinded_id.slice(2)))).toBe(false);
  });
});

describe('sogs_auth_headers', () => {
  const v = section<{
    ed25519_seed: string;
    ed25519_pubkey: string;
    session_id: string;
    server_pubkey_x25519: string;
    blinding_factor_k: string;
    blinded_scalar_ka: string;
    blinded_pubkey_kA: string;
    blinded_abs_from_session_id: string;
    nonce: string;
    nonce_b64: string;
    timestamp: string;
    method: string;
    path_utf8: string;
    body_utf8: string;
    body_blake2b_512: string;
    message_no_body_hex: string;
    message_with_body_hex: string;
    expected_headers: Record<
      'blinded' | 'unblinded',
      {
        'X-SOGS-Pubkey': string;
        'X-SOGS-Timestamp': string;
        'X-SOGS-Nonce': string;
        signature_no_body_b64: string;
        signature_with_body_b64: string;
      }
    >;
  }>('sogs_auth_headers');
  const seed = hex(v.ed25519_seed);
  const serverPk = hex(v.server_pubkey_x25519);
  const [path, query] = v.path_utf8.split('?');
  const body = utf8(v.body_utf8);
  const nonce = decodeHexOrBase64(v.nonce_b64, 16);
  const message = (withBody: boolean): Uint8Array =>
    sogsSignedMessage({
      serverPubkey: serverPk,
      nonce: nonce ?? new Uint8Array(),
      timestamp: v.timestamp,
      method: v.method,
      path,
      query,
      body: withBody ? body : undefined,
    });

  it('decodes the nonce header', () => expect(toHex(nonce ?? new Uint8Array())).toBe(v.nonce));

  it('derives k, ka, kA, ids', () => {
    expect(toHex(numberToBytesLE(blindingFactor(serverPk), 32))).toBe(v.blinding_factor_k);
    const kp = blind15KeyPair(seed, serverPk);
    expect(toHex(numberToBytesLE(kp.scalar, 32))).toBe(v.blinded_scalar_ka);
    expect(toHex(kp.publicKey)).toBe(v.blinded_pubkey_kA);
    expect('15' + toHex(kp.publicKey)).toBe(v.expected_headers.blinded['X-SOGS-Pubkey']);
    expect('00' + toHex(ed25519PublicKey(seed))).toBe(v.expected_headers.unblinded['X-SOGS-Pubkey']);
    expect(sessionIdFromEd25519Pub(hex(v.ed25519_pubkey))).toBe(v.session_id);
    expect(blind15IdsFromSessionId(v.session_id, serverPk).abs).toBe(v.blinded_abs_from_session_id);
  });

  it('builds the signed message byte for byte', () => {
    expect(toHex(blake2b(body, { dkLen: 64 }))).toBe(v.body_blake2b_512);
    expect(toHex(message(false))).toBe(v.message_no_body_hex);
    expect(toHex(message(true))).toBe(v.message_with_body_hex);
  });

  it.each([
    ['blinded', false],
    ['blinded', true],
    ['unblinded', false],
    ['unblinded', true],
  ] as const)('%s signature, body=%s: produced and verified', (kind, withBody) => {
    const expected = v.expected_headers[kind];
    const sigB64 = withBody ? expected.signature_with_body_b64 : expected.signature_no_body_b64;
    const msg = message(withBody);
    const sig = kind === 'blinded' ? blind15Sign(seed, serverPk, msg) : ed25519Sign(seed, msg);
    expect(Buffer.from(sig).toString('base64')).toBe(sigB64);
    const pub = hex(expected['X-SOGS-Pubkey'].slice(2));
    expect(isValidEd25519Point(pub)).toBe(true);
    expect(verifyEd25519Strict(b64(sigB64), msg, pub)).toBe(true);
    // any flipped bit in the message breaks it
    const tampered = msg.slice();
    tampered[tampered.length - 1] ^= 1;
    expect(verifyEd25519Strict(b64(sigB64), tampered, pub)).toBe(false);
  });
});

describe('libsession_blind15', () => {
  const v = section<{
    id_from_session_id: { session_id: string; server_pubkey: string; blind15_id_kA0: string }[];
    signatures: {
      session_id: string;
      server_pubkey: string;
      message_utf8: string;
      signature: string;
      blinded_pubkey_15: string;
      blinded_abs: string;
      ed25519_secret_key_64: string;
    }[];
  }>('libsession_blind15');

  it.each(v.id_from_session_id)('05 id → 15 id candidates ($session_id)', (c) => {
    const { abs, neg } = blind15IdsFromSessionId(c.session_id, hex(c.server_pubkey));
    expect([abs, neg]).toContain(c.blind15_id_kA0);
  });

  it.each(v.signatures)('verifies libsession blinded signature over "$message_utf8"', (c) => {
    const pub = hex(c.blinded_pubkey_15.slice(2));
    expect(verifyEd25519Strict(hex(c.signature), utf8(c.message_utf8), pub)).toBe(true);
    expect(verifyEd25519Strict(hex(c.signature), utf8(c.message_utf8 + '!'), pub)).toBe(false);
    const seed = hex(c.ed25519_secret_key_64.slice(0, 64));
    expect(blind15IdFromSeed(seed, hex(c.server_pubkey))).toBe(c.blinded_pubkey_15);
    expect(blindedAbs(c.blinded_pubkey_15)).toBe(c.blinded_abs);
    const { abs, neg } = blind15IdsFromSessionId(c.session_id, hex(c.server_pubkey));
    expect(abs).toBe(c.blinded_abs);
    expect([abs, neg]).toContain(c.blinded_pubkey_15);
  });
});

describe('libsession_blind25 and version_blind07: recognised, refused by SOGS auth', () => {
  const b25 = section<{
    ids: { blind25_id: string }[];
    signatures: { ed25519_secret_key_64: string; server_pubkey: string; message_utf8: string; signature: string }[];
  }>('libsession_blind25');
  const v07 = section<{
    blinded_seed: string;
    blinded_pubkey: string;
    x_fs_pubkey_header: string;
    signed_message_utf8: string;
    signature: string;
  }>('version_blind07');

  it.each(b25.ids)('$blind25_id is a 25 id and not an auth prefix', (c) => {
    expect(sessionIdPrefix(c.blind25_id)).toBe('25');
    expect(isSogsAuthPrefix(c.blind25_id)).toBe(false);
    expect(isSogsAuthPrefix(hex(c.blind25_id)[0])).toBe(false);
    // it is a perfectly valid point: only the prefix rule keeps it out
    expect(isValidEd25519Point(hex(c.blind25_id.slice(2)))).toBe(true);
  });

  it('blind25 signatures verify under their id (so only the prefix check refuses them)', () => {
    // signatures[0] is by the key of ids[0] (same secret key and server key)
    const first = b25.signatures[0];
    expect(verifyEd25519Strict(hex(first.signature), utf8(first.message_utf8), hex(b25.ids[0].blind25_id.slice(2)))).toBe(true);
  });

  it('07 version-check key: derived, signature verifies, prefix refused', () => {
    expect(toHex(ed25519PublicKey(hex(v07.blinded_seed)))).toBe(v07.blinded_pubkey);
    expect(v07.x_fs_pubkey_header).toBe('07' + v07.blinded_pubkey);
    expect(sessionIdPrefix(v07.x_fs_pubkey_header)).toBe('07');
    expect(isSogsAuthPrefix(v07.x_fs_pubkey_header)).toBe(false);
    expect(verifyEd25519Strict(hex(v07.signature), utf8(v07.signed_message_utf8), hex(v07.blinded_pubkey))).toBe(true);
  });

  it('00 and 15 are the only auth prefixes', () => {
    expect(isSogsAuthPrefix(0x00)).toBe(true);
    expect(isSogsAuthPrefix(0x15)).toBe(true);
    for (const p of [0x05, 0x07, 0x25, 0xff]) expect(isSogsAuthPrefix(p)).toBe(false);
  });
});

describe('onion_hop_encryption', () => {
  const v = section<{
    client_ephemeral_pubkey_A: string;
    client_ephemeral_privkey_a: string;
    server_pubkey_B: string;
    server_privkey_b: string;
    plaintext_utf8: string;
    aes_gcm_ciphertext: string;
    aes_gcm_ciphertext_tampered_must_fail: string[];
    xchacha20_ciphertext: string;
    xchacha20_ciphertext_tampered_must_fail: string[];
    x25519_shared: string;
    aes_gcm_key: string;
    xchacha20_key: string;
  }>('onion_hop_encryption');
  const a = hex(v.client_ephemeral_privkey_a);
  const A = hex(v.client_ephemeral_pubkey_A);
  const b = hex(v.server_privkey_b);
  const B = hex(v.server_pubkey_B);

  it('derives the shared secret and both keys from either side', () => {
    expect(toHex(x25519PublicKey(b))).toBe(v.server_pubkey_B);
    expect(toHex(x25519PublicKey(a))).toBe(v.client_ephemeral_pubkey_A);
    expect(toHex(x25519SharedSecret(b, A))).toBe(v.x25519_shared);
    expect(toHex(x25519SharedSecret(a, B))).toBe(v.x25519_shared);
    expect(toHex(onionSharedKey('aes-gcm', b, B, A))).toBe(v.aes_gcm_key);
    expect(toHex(onionSharedKey('xchacha20', b, B, A))).toBe(v.xchacha20_key);
    expect(toHex(onionKeyFromSecret('xchacha20', x25519SharedSecret(a, B), A, B))).toBe(v.xchacha20_key);
  });

  it.each([
    ['aes-gcm', 'aes_gcm_ciphertext', 'aes_gcm_ciphertext_tampered_must_fail'],
    ['xchacha20', 'xchacha20_ciphertext', 'xchacha20_ciphertext_tampered_must_fail'],
  ] as const)('%s: decrypts, tampered must fail, re-encrypts', (encType, ctKey, tamperedKey) => {
    const key = onionSharedKey(encType, b, B, A);
    expect(Buffer.from(onionDecrypt(encType, key, hex(v[ctKey])) ?? []).toString()).toBe(v.plaintext_utf8);
    for (const t of v[tamperedKey]) expect(onionDecrypt(encType, key, hex(t))).toBeNull();
    const again = onionEncrypt(encType, key, utf8('Goodbye world'));
    expect(Buffer.from(onionDecrypt(encType, key, again) ?? []).toString()).toBe('Goodbye world');
    // truncated inputs are refused, not thrown
    expect(onionDecrypt(encType, key, new Uint8Array(10))).toBeNull();
  });
});

describe('onion_request_parser', () => {
  const v = section<{
    server_pubkey_B: string;
    server_privkey_b: string;
    client_ephemeral_pubkey_A: string;
    frame_aes_gcm: string;
    frame_xchacha20: string;
    payload_utf8: string;
    reply_plaintext_utf8: string;
    reply_len_aes_gcm: number;
    reply_len_xchacha20: number;
  }>('onion_request_parser');

  it.each([
    ['aes-gcm', 'frame_aes_gcm', 'reply_len_aes_gcm'],
    ['xchacha20', 'frame_xchacha20', 'reply_len_xchacha20'],
  ] as const)('%s frame: parse, decrypt, reply length', (encType, frameKey, lenKey) => {
    const frame = parseOnionFrame(hex(v[frameKey]));
    expect(parseEncType(frame.meta.enc_type)).toBe(encType);
    const A = parseEphemeralKey(frame.meta.ephemeral_key);
    expect(toHex(A ?? new Uint8Array())).toBe(v.client_ephemeral_pubkey_A);
    const key = onionSharedKey(encType, hex(v.server_privkey_b), hex(v.server_pubkey_B), A ?? new Uint8Array());
    expect(Buffer.from(onionDecrypt(encType, key, frame.ciphertext) ?? []).toString()).toBe(v.payload_utf8);
    expect(onionEncrypt(encType, key, utf8(v.reply_plaintext_utf8))).toHaveLength(v[lenKey]);
  });
});

describe('v4_bencode_examples', () => {
  const v = section<{ request_get_utf8: string; request_post_utf8: string; response_json_utf8: string }>('v4_bencode_examples');
  it.each([
    ['request_get_utf8', 1],
    ['request_post_utf8', 2],
    ['response_json_utf8', 2],
  ] as const)('%s decodes into %i strings and re-encodes exactly', (key, count) => {
    const items = bdecodeList(utf8(v[key]));
    expect(items).toHaveLength(count);
    expect(bencodeList(items).toString('utf8')).toBe(v[key]);
  });
  it('encodes the exact pysogs docstring bytes from their parts', () => {
    expect(bencodeList([utf8('{"method":"POST","endpoint":"/some/thing","headers":{"Some-Header":"a"}}'), utf8('post body here')]).toString()).toBe(v.request_post_utf8);
    expect(bencodeList([utf8('{"code":200,"headers":{"content-type":"application/json"}}'), utf8('{"id": 123}')]).toString()).toBe(v.response_json_utf8);
  });
});

describe('blake2b', () => {
  const v = section<{
    data: string;
    key: string;
    salt_utf8: string;
    personalization_utf8: string;
    digest_size: number;
    cases: { uses_key: boolean; uses_salt: boolean; uses_personalization: boolean; expected: string }[];
  }>('blake2b');
  it.each(v.cases)('key=$uses_key salt=$uses_salt personalization=$uses_personalization', (c) => {
    const out = blake2b(hex(v.data), {
      dkLen: v.digest_size,
      key: c.uses_key ? hex(v.key) : undefined,
      salt: c.uses_salt ? utf8(v.salt_utf8) : undefined,
      personalization: c.uses_personalization ? utf8(v.personalization_utf8) : undefined,
    });
    expect(toHex(out)).toBe(c.expected);
  });
});

describe('derived_onion_v4_roundtrip', () => {
  interface Dir {
    request_frame: string;
    response_plaintext_utf8: string;
    response_ciphertext: string;
  }
  const v = section<{
    server_x25519_privkey: string;
    server_x25519_pubkey: string;
    client_ephemeral_privkey: string;
    client_ephemeral_pubkey: string;
    client_ed25519_seed: string;
    client_blinded_id: string;
    inner_signed_message_hex: string;
    inner_headers: Record<string, string>;
    v4_plaintext_utf8: string;
    x25519_shared: string;
    xchacha20_key: string;
    aes_gcm_key: string;
    xchacha20: Dir & { nonce: string; response_nonce: string };
    aes_gcm: Dir & { iv: string; response_iv: string };
  }>('derived_onion_v4_roundtrip');
  const b = hex(v.server_x25519_privkey);
  const B = hex(v.server_x25519_pubkey);

  it.each([
    ['xchacha20', 'xchacha20', 'xchacha20_key'],
    ['aes-gcm', 'aes_gcm', 'aes_gcm_key'],
  ] as const)('%s: decrypt request, check inner request and signature, reply', (encType, dirKey, keyKey) => {
    const dir: Dir = v[dirKey];
    const frame = parseOnionFrame(hex(dir.request_frame));
    expect(parseEncType(frame.meta.enc_type)).toBe(encType);
    const A = parseEphemeralKey(frame.meta.ephemeral_key) ?? new Uint8Array();
    const key = onionSharedKey(encType, b, B, A);
    expect(toHex(key)).toBe(v[keyKey]);
    const plaintext = onionDecrypt(encType, key, frame.ciphertext);
    expect(Buffer.from(plaintext ?? []).toString()).toBe(v.v4_plaintext_utf8);

    const [metaBytes, ...rest] = bdecodeList(plaintext ?? new Uint8Array());
    expect(rest).toHaveLength(0);
    const meta = JSON.parse(metaBytes.toString()) as { method: string; endpoint: string; headers: Record<string, string> };
    expect(meta.headers).toEqual(v.inner_headers);
    const [path, query] = meta.endpoint.split('?');
    const nonce = decodeHexOrBase64(meta.headers['X-SOGS-Nonce'], 16) ?? new Uint8Array();
    const signed = sogsSignedMessage({
      serverPubkey: B,
      nonce,
      timestamp: meta.headers['X-SOGS-Timestamp'],
      method: meta.method,
      path,
      query: query ?? '',
    });
    expect(toHex(signed)).toBe(v.inner_signed_message_hex);
    const pubHeader = decodeHexOrBase64(meta.headers['X-SOGS-Pubkey'], 33) ?? new Uint8Array();
    expect(toHex(pubHeader)).toBe(v.client_blinded_id);
    expect(isSogsAuthPrefix(pubHeader[0])).toBe(true);
    expect(isValidEd25519Point(pubHeader.subarray(1))).toBe(true);
    const sig = decodeHexOrBase64(meta.headers['X-SOGS-Signature'], 64) ?? new Uint8Array();
    expect(verifyEd25519Strict(sig, signed, pubHeader.subarray(1))).toBe(true);
    expect(blind15IdFromSeed(hex(v.client_ed25519_seed), B)).toBe(v.client_blinded_id);
    expect(toHex(blind15Sign(hex(v.client_ed25519_seed), B, signed))).toBe(toHex(sig));

    // the reply: encrypting the plaintext with the fixed nonce gives the vector bytes, and it decrypts
    const fixedNonce = 'response_nonce' in dir ? hex(v.xchacha20.response_nonce) : hex(v.aes_gcm.response_iv);
    expect(toHex(onionEncrypt(encType, key, utf8(dir.response_plaintext_utf8), fixedNonce))).toBe(dir.response_ciphertext);
    expect(Buffer.from(onionDecrypt(encType, key, hex(dir.response_ciphertext)) ?? []).toString()).toBe(dir.response_plaintext_utf8);
    // the request direction, re-encrypted with the vector's nonce, reproduces the frame's ciphertext
    const reqNonce = encType === 'xchacha20' ? hex(v.xchacha20.nonce) : hex(v.aes_gcm.iv);
    expect(toHex(onionEncrypt(encType, key, utf8(v.v4_plaintext_utf8), reqNonce))).toBe(toHex(frame.ciphertext));
    // client side: same key from the ephemeral private key
    const clientSecret = x25519SharedSecret(hex(v.client_ephemeral_privkey), B);
    expect(toHex(clientSecret)).toBe(v.x25519_shared);
    expect(toHex(onionKeyFromSecret(encType, clientSecret, hex(v.client_ephemeral_pubkey), B))).toBe(v[keyKey]);
  });
});

describe('file_server_content_ids', () => {
  const v = section<{ cases: { data_utf8: string; id: string }[] }>('file_server_content_ids');
  it.each(v.cases)('"$data_utf8" → $id', (c) => {
    const id = fileServerContentId(utf8(c.data_utf8));
    expect(id).toBe(c.id);
    expect(id).toHaveLength(44);
  });
});

describe('small_subgroup_pubkeys', () => {
  const v = section<{
    torsion_points: string[];
    valid_unblinded_header: string;
    invalid_unblinded_header: string;
    valid_blinded_header: string;
    invalid_blinded_header: string;
  }>('small_subgroup_pubkeys');

  it('valid headers are valid points', () => {
    expect(isValidEd25519Point(hex(v.valid_unblinded_header.slice(2)))).toBe(true);
    expect(isValidEd25519Point(hex(v.valid_blinded_header.slice(2)))).toBe(true);
  });

  it('keys with a torsion component are refused', () => {
    expect(isValidEd25519Point(hex(v.invalid_unblinded_header.slice(2)))).toBe(false);
    expect(isValidEd25519Point(hex(v.invalid_blinded_header.slice(2)))).toBe(false);
  });

  it.each(v.torsion_points)('torsion point %s is refused as a key and as R', (t) => {
    const point = hex(t);
    expect(isValidEd25519Point(point)).toBe(false);
    const sig = new Uint8Array(64);
    sig.set(point, 0);
    expect(verifyEd25519Strict(sig, utf8('x'), point)).toBe(false);
  });

  it('bytesToNumberLE round-trips', () => {
    expect(bytesToNumberLE(numberToBytesLE(123456789n, 32))).toBe(123456789n);
  });
});
