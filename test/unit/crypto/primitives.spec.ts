import { randomBytes } from 'node:crypto';
import * as fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  BencodeError,
  L,
  P,
  OnionFrameError,
  bdecodeList,
  bencodeList,
  blind15IdsFromSessionId,
  blindedAbs,
  buildOnionFrame,
  bytesToNumberLE,
  constantTimeEqual,
  decodeHexOrBase64,
  decodeSignedPath,
  ed25519PubToX25519,
  ed25519PublicKey,
  ed25519Sign,
  hexToBytes,
  bytesToHex,
  InvalidKeyError,
  isValidEd25519Point,
  numberToBytesLE,
  onionSharedKey,
  parseEncType,
  parseEphemeralKey,
  parseOnionFrame,
  sessionIdPrefix,
  sogsSignedMessage,
  verifyEd25519Strict,
  x25519KeyPair,
  x25519PubToEd25519,
} from '../../../src/crypto';
import { toHex, utf8 } from './vectors';

describe('decodeHexOrBase64 (protocol §3.1)', () => {
  const nonce = randomBytes(16);
  const sig = randomBytes(64);
  const pub = randomBytes(33);

  it('accepts hex of exactly 2×size, either case', () => {
    expect(toHex(decodeHexOrBase64(nonce.toString('hex'), 16) ?? new Uint8Array())).toBe(nonce.toString('hex'));
    expect(decodeHexOrBase64(nonce.toString('hex').toUpperCase(), 16)).not.toBeNull();
    expect(decodeHexOrBase64('zz' + nonce.toString('hex').slice(2), 16)).toBeNull();
  });

  it('accepts padded and unpadded base64, refuses lengths in between and outside', () => {
    const padded = nonce.toString('base64');
    expect(padded).toHaveLength(24);
    expect(decodeHexOrBase64(padded, 16)).toEqual(new Uint8Array(nonce));
    expect(decodeHexOrBase64(padded.slice(0, 22), 16)).toEqual(new Uint8Array(nonce));
    expect(decodeHexOrBase64(padded.slice(0, 23), 16)).toBeNull(); // 23 → 400
    expect(decodeHexOrBase64(padded.slice(0, 21), 16)).toBeNull();
    const sigB64 = sig.toString('base64');
    expect(decodeHexOrBase64(sigB64, 64)).toEqual(new Uint8Array(sig));
    expect(decodeHexOrBase64(sigB64.slice(0, 86), 64)).toEqual(new Uint8Array(sig));
    expect(decodeHexOrBase64(sigB64.slice(0, 87), 64)).toBeNull(); // 87 → 400
    expect(decodeHexOrBase64(pub.toString('base64'), 33)).toEqual(new Uint8Array(pub));
    expect(decodeHexOrBase64(pub.toString('hex'), 33)).toEqual(new Uint8Array(pub));
  });

  it('is strict about the alphabet and padding placement', () => {
    const padded = Buffer.from([0xfb, 0xff, 0xbf, ...randomBytes(13)]).toString('base64');
    expect(padded).toMatch(/^[+/]/);
    expect(decodeHexOrBase64(padded.replace(/\+/g, '-').replace(/\//g, '_'), 16)).toBeNull();
    expect(decodeHexOrBase64('=' + padded.slice(1), 16)).toBeNull();
    expect(decodeHexOrBase64(padded.slice(0, 10) + ' ' + padded.slice(11), 16)).toBeNull();
    expect(decodeHexOrBase64('', 16)).toBeNull();
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.constantFrom(16, 33, 64), (s, size) => {
        const out = decodeHexOrBase64(s, size);
        return out === null || out.length === size;
      }),
    );
  });
});

describe('bytes helpers', () => {
  it('hex round trip and refusal', () => {
    const b = randomBytes(20);
    expect(hexToBytes(bytesToHex(b))).toEqual(new Uint8Array(b));
    expect(() => hexToBytes('abc')).toThrow();
    expect(() => hexToBytes('zz')).toThrow();
  });
  it('constantTimeEqual', () => {
    const a = randomBytes(32);
    expect(constantTimeEqual(a, Buffer.from(a))).toBe(true);
    const b = Buffer.from(a);
    b[31] ^= 1;
    expect(constantTimeEqual(a, b)).toBe(false);
    expect(constantTimeEqual(a, a.subarray(0, 31))).toBe(false);
  });
});

describe('verifyEd25519Strict (libsodium semantics)', () => {
  const seed = randomBytes(32);
  const pub = ed25519PublicKey(seed);
  const msg = utf8('a message');
  const sig = ed25519Sign(seed, msg);

  it('accepts a valid signature and agrees with noble strict verify', () => {
    expect(verifyEd25519Strict(sig, msg, pub)).toBe(true);
    expect(ed25519.verify(sig, msg, pub, { zip215: false })).toBe(true);
  });

  it('refuses S ≥ L (malleated S + L)', () => {
    const s = bytesToNumberLE(sig.subarray(32));
    const malleated = new Uint8Array(sig);
    malleated.set(numberToBytesLE(s + L, 32), 32);
    expect(verifyEd25519Strict(malleated, msg, pub)).toBe(false);
  });

  it('refuses non-canonical key encodings', () => {
    for (let y = 0n; y < 19n; y++) {
      const enc = numberToBytesLE(P + y, 32);
      expect(isValidEd25519Point(enc)).toBe(false);
      expect(verifyEd25519Strict(sig, msg, enc)).toBe(false);
    }
  });

  it('refuses wrong lengths and never throws on random bytes', () => {
    expect(verifyEd25519Strict(sig.subarray(0, 63), msg, pub)).toBe(false);
    expect(verifyEd25519Strict(sig, msg, pub.subarray(0, 31))).toBe(false);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (s, k) => {
        return verifyEd25519Strict(s, msg, k) === false;
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a key with a torsion component even though it decodes', () => {
    const torsion = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    const mixed = ed25519.Point.fromBytes(pub).add(torsion).toBytes();
    expect(isValidEd25519Point(mixed)).toBe(false);
    expect(isValidEd25519Point(pub)).toBe(true);
  });
});

describe('key conversions', () => {
  it('X25519 → Ed25519 (sign 0) is ±A of the Ed25519 key', () => {
    for (let i = 0; i < 5; i++) {
      const pub = ed25519PublicKey(randomBytes(32));
      const back = x25519PubToEd25519(ed25519PubToX25519(pub));
      const abs = new Uint8Array(pub);
      abs[31] &= 0x7f;
      expect(toHex(back)).toBe(toHex(abs));
    }
  });

  it('u = −1 and non-points raise InvalidKeyError', () => {
    expect(() => x25519PubToEd25519(numberToBytesLE(P - 1n, 32))).toThrow(InvalidKeyError);
    expect(() => ed25519PubToX25519(numberToBytesLE(P + 3n, 32))).toThrow(InvalidKeyError);
    expect(() => blind15IdsFromSessionId('05zz', randomBytes(32))).toThrow(InvalidKeyError);
  });

  it('blind15IdsFromSessionId never throws anything but InvalidKeyError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (u) => {
        try {
          const { abs, neg } = blind15IdsFromSessionId('05' + toHex(u), randomBytes(32));
          return blindedAbs(neg) === abs;
        } catch (e) {
          return e instanceof InvalidKeyError;
        }
      }),
      { numRuns: 30 },
    );
  });

  it('sessionIdPrefix', () => {
    expect(sessionIdPrefix('15' + '0'.repeat(64))).toBe('15');
    expect(sessionIdPrefix('FF' + '0'.repeat(64))).toBe('ff');
    expect(sessionIdPrefix('16' + '0'.repeat(64))).toBeNull();
    expect(sessionIdPrefix('15' + '0'.repeat(63))).toBeNull();
  });
});

describe('bencode subset', () => {
  const bad: [string, string][] = [
    ['', 'empty'],
    ['e', 'not a list'],
    ['l', 'unterminated'],
    ['l3:abc', 'unterminated after item'],
    ['l4:abce', 'length beyond input'],
    ['l03:abce', 'leading zero'],
    ['li3ee', 'integer element'],
    ['ld1:a1:bee', 'dict element'],
    ['l3abce', 'missing colon'],
    ['l3:abcex', 'trailing bytes'],
    ['l-3:abce', 'sign'],
    ['l99999999999999999999:e', 'huge length'],
  ];
  it.each(bad)('%j (%s) → BencodeError', (input) => {
    expect(() => bdecodeList(utf8(input))).toThrow(BencodeError);
  });

  it('accepts empty lists and empty strings', () => {
    expect(bdecodeList(utf8('le'))).toEqual([]);
    expect(bdecodeList(utf8('l0:0:e')).map((b) => b.length)).toEqual([0, 0]);
  });

  it('round-trips arbitrary byte strings and never throws anything but BencodeError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }), (items) => {
        const decoded = bdecodeList(bencodeList(items));
        return decoded.length === items.length && decoded.every((d, i) => Buffer.compare(d, items[i]) === 0);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), (junk) => {
        try {
          bdecodeList(junk);
          return true;
        } catch (e) {
          return e instanceof BencodeError;
        }
      }),
    );
  });
});

describe('onion frame parsing', () => {
  const frame = (n: number, ct: Buffer, json: string): Uint8Array => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(n, 0);
    return Buffer.concat([len, ct, Buffer.from(json)]);
  };

  it('round-trips buildOnionFrame', () => {
    const ct = randomBytes(50);
    const parsed = parseOnionFrame(buildOnionFrame(ct, { ephemeral_key: 'ab', enc_type: 'xchacha20' }));
    expect(Buffer.from(parsed.ciphertext)).toEqual(ct);
    expect(parsed.meta).toEqual({ ephemeral_key: 'ab', enc_type: 'xchacha20' });
  });

  it.each([
    ['shorter than 4 bytes', new Uint8Array([1, 0])],
    ['length beyond the body', frame(100, randomBytes(10), '{}')],
    ['JSON missing', frame(3, randomBytes(3), '')],
    ['JSON not an object', frame(3, randomBytes(3), '[1]')],
    ['JSON null', frame(3, randomBytes(3), 'null')],
    ['invalid UTF-8', Buffer.concat([Buffer.from(frame(0, Buffer.alloc(0), '{"a":"')), Buffer.from([0xff]), Buffer.from('"}')])],
  ])('%s → OnionFrameError', (_why, body) => {
    expect(() => parseOnionFrame(body)).toThrow(OnionFrameError);
  });

  it('parseEncType', () => {
    expect(parseEncType(undefined)).toBe('aes-gcm');
    expect(parseEncType('gcm')).toBe('aes-gcm');
    expect(parseEncType('aes-gcm')).toBe('aes-gcm');
    expect(parseEncType('xchacha20')).toBe('xchacha20');
    expect(parseEncType('xchacha20-poly1305')).toBe('xchacha20');
    expect(parseEncType('AES-GCM')).toBeNull();
    expect(parseEncType(3)).toBeNull();
  });

  it('parseEphemeralKey accepts hex, base64 and base32z of the same key', () => {
    const key = randomBytes(32);
    const alphabet = 'ybndrfg8ejkmcpqxot1uwisza345h769';
    let bits = '';
    for (const byte of key) bits += byte.toString(2).padStart(8, '0');
    bits = bits.padEnd(260, '0');
    let z = '';
    for (let i = 0; i < 260; i += 5) z += alphabet[parseInt(bits.slice(i, i + 5), 2)];
    expect(z).toHaveLength(52);
    for (const enc of [key.toString('hex'), key.toString('base64'), key.toString('base64').replace(/=$/, ''), z]) {
      expect(parseEphemeralKey(enc)).toEqual(new Uint8Array(key));
    }
    expect(parseEphemeralKey(undefined)).toBeNull();
    expect(parseEphemeralKey('ab')).toBeNull();
    expect(parseEphemeralKey('l'.repeat(52))).toBeNull();
  });

  it('a small-order ephemeral key is an OnionFrameError, not a crash', () => {
    const server = x25519KeyPair();
    expect(() => onionSharedKey('aes-gcm', server.privateKey, server.publicKey, new Uint8Array(32))).toThrow(OnionFrameError);
  });
});

describe('signed message path decoding (protocol §3.3)', () => {
  it('percent-encoded and raw UTF-8 paths sign the same bytes', () => {
    expect(toHex(decodeSignedPath('/room/x/reaction/1/%F0%9F%8D%8D'))).toBe(toHex(utf8('/room/x/reaction/1/🍍')));
    expect(toHex(decodeSignedPath('/room/x/reaction/1/🍍'))).toBe(toHex(utf8('/room/x/reaction/1/🍍')));
  });
  it('keeps + and invalid escapes literally', () => {
    expect(Buffer.from(decodeSignedPath('/a+b%2')).toString()).toBe('/a+b%2');
    expect(Buffer.from(decodeSignedPath('/a%zz%41')).toString()).toBe('/a%zzA');
  });
  it('adds "?" and the body hash only when present', () => {
    const base = { serverPubkey: new Uint8Array(32), nonce: new Uint8Array(16), timestamp: '1', method: 'GET', path: '/x' };
    expect(sogsSignedMessage({ ...base, query: '' })).toHaveLength(32 + 16 + 1 + 3 + 2);
    expect(sogsSignedMessage({ ...base, query: 'a=1' })).toHaveLength(32 + 16 + 1 + 3 + 2 + 4);
    expect(sogsSignedMessage({ ...base, query: '', body: new Uint8Array() })).toHaveLength(32 + 16 + 1 + 3 + 2);
    expect(sogsSignedMessage({ ...base, query: '', body: utf8('x') })).toHaveLength(32 + 16 + 1 + 3 + 2 + 64);
  });
});
