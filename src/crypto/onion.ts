import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { concatBytes, decodeHexOrBase64, toBuffer } from './bytes';
import { blake2b256 } from './hash';
import { x25519SharedSecret } from './x25519';

/*
 * Onion request layer as SOGS receives it (protocol §4.2, §4.3): the outer frame, the per-request
 * symmetric key and the two ciphers. Replies reuse the request's key and cipher.
 */

export type EncType = 'aes-gcm' | 'xchacha20';

/** `enc_type` of the frame JSON: absent → AES-GCM (session-desktop sends none); unknown → null. */
export function parseEncType(v: unknown): EncType | null {
  if (v === undefined || v === null) return 'aes-gcm';
  switch (v) {
    case 'aes-gcm':
    case 'gcm':
      return 'aes-gcm';
    case 'xchacha20':
    case 'xchacha20-poly1305':
      return 'xchacha20';
    default:
      return null;
  }
}

const BASE32Z = 'ybndrfg8ejkmcpqxot1uwisza345h769';

function decodeBase32z(s: string, size: number): Uint8Array | null {
  const out = new Uint8Array(size);
  let acc = 0;
  let bits = 0;
  let pos = 0;
  for (const ch of s) {
    const v = BASE32Z.indexOf(ch);
    if (v < 0) return null;
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (pos < size) out[pos++] = (acc >> bits) & 0xff;
    }
  }
  return pos === size ? out : null;
}

/** `ephemeral_key`: 64 hex, 43/44 base64 or 52 base32z chars encoding 32 bytes (protocol §4.2). */
export function parseEphemeralKey(v: unknown): Uint8Array | null {
  if (typeof v !== 'string') return null;
  if (v.length === 52) return decodeBase32z(v, 32);
  return decodeHexOrBase64(v, 32);
}

/** The symmetric key of protocol §4.3 for a request from `clientPub` to this server. */
export function onionSharedKey(encType: EncType, serverPriv: Uint8Array, serverPub: Uint8Array, clientPub: Uint8Array): Uint8Array {
  let secret: Uint8Array;
  try {
    secret = x25519SharedSecret(serverPriv, clientPub);
  } catch {
    throw new OnionFrameError('ephemeral_key is not a usable X25519 public key');
  }
  return onionKeyFromSecret(encType, secret, clientPub, serverPub);
}

/** Key derivation from the X25519 secret; `clientPub`/`serverPub` are A and B of protocol §4.3. */
export function onionKeyFromSecret(encType: EncType, secret: Uint8Array, clientPub: Uint8Array, serverPub: Uint8Array): Uint8Array {
  if (encType === 'aes-gcm') return new Uint8Array(createHmac('sha256', 'LOKI').update(secret).digest());
  return blake2b256(concatBytes(secret, clientPub, serverPub));
}

const GCM_IV = 12;
const TAG = 16;
const XCHACHA_NONCE = 24;

/* XChaCha20-Poly1305 = HChaCha20 subkey + IETF ChaCha20-Poly1305 (native in OpenSSL) with nonce
   0^4 || nonce[16..24]; file uploads pass through here, so the bulk work stays native. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function u32le(b: Uint8Array): Uint32Array {
  const out = new Uint32Array(b.length / 4);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

function xchachaSubkey(key: Uint8Array, nonce: Uint8Array): { subkey: Buffer; iv: Buffer } {
  const out = new Uint32Array(8);
  hchacha(SIGMA, u32le(key), u32le(nonce.subarray(0, 16)), out);
  const subkey = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) subkey.writeUInt32LE(out[i], i * 4);
  const iv = Buffer.alloc(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { subkey, iv };
}

/** Decrypts a request or reply body; null on short input or authentication failure. */
export function onionDecrypt(encType: EncType, key: Uint8Array, data: Uint8Array): Uint8Array | null {
  try {
    const buf = toBuffer(data);
    if (encType === 'aes-gcm') {
      if (buf.length < GCM_IV + TAG) return null;
      const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, GCM_IV), { authTagLength: TAG });
      decipher.setAuthTag(buf.subarray(buf.length - TAG));
      return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(GCM_IV, buf.length - TAG)), decipher.final()]));
    }
    if (buf.length < XCHACHA_NONCE + TAG) return null;
    return xchacha20Poly1305Open(key, buf.subarray(0, XCHACHA_NONCE), buf.subarray(XCHACHA_NONCE));
  } catch {
    return null;
  }
}

/**
 * Encrypts with a fresh random IV/nonce (layouts of protocol §4.3). `nonce` is only for reproducing
 * fixed test vectors.
 */
export function onionEncrypt(encType: EncType, key: Uint8Array, plaintext: Uint8Array, nonce?: Uint8Array): Buffer {
  if (encType === 'aes-gcm') {
    const iv = nonce ? toBuffer(nonce) : randomBytes(GCM_IV);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG });
    return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }
  const n = nonce ? toBuffer(nonce) : randomBytes(XCHACHA_NONCE);
  return Buffer.concat([n, xchacha20Poly1305Seal(key, n, plaintext)]);
}

/** XChaCha20-Poly1305 (IETF, libsodium's `crypto_aead_xchacha20poly1305_ietf_encrypt`, no AD): ciphertext ‖ tag. */
export function xchacha20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  if (nonce.length !== XCHACHA_NONCE) throw new Error(`XChaCha20 nonce must be ${XCHACHA_NONCE} bytes`);
  const { subkey, iv } = xchachaSubkey(key, nonce);
  const cipher = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The inverse of xchacha20Poly1305Seal; null when the input is short or does not authenticate. */
export function xchacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (nonce.length !== XCHACHA_NONCE || sealed.length < TAG) return null;
  try {
    const buf = toBuffer(sealed);
    const { subkey, iv } = xchachaSubkey(key, nonce);
    const decipher = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG });
    decipher.setAuthTag(buf.subarray(buf.length - TAG));
    return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(0, buf.length - TAG)), decipher.final()]));
  } catch {
    return null;
  }
}

/** A malformed outer onion frame or unusable ephemeral key; the message says why (→ 400). */
export class OnionFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnionFrameError';
  }
}

export interface OnionFrame {
  ciphertext: Uint8Array;
  meta: Record<string, unknown>;
}

/** `N (u32 LE) || ciphertext[N] || JSON object` (protocol §4.2). */
export function parseOnionFrame(body: Uint8Array): OnionFrame {
  if (body.length < 4) throw new OnionFrameError('Invalid onion request: body shorter than 4 bytes');
  const buf = toBuffer(body);
  const n = buf.readUInt32LE(0);
  if (n > buf.length - 4) throw new OnionFrameError('Invalid onion request: ciphertext length exceeds body size');
  const ciphertext = buf.subarray(4, 4 + n);
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(4 + n)));
  } catch {
    throw new OnionFrameError('Invalid onion request: routing metadata is not valid UTF-8 JSON');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new OnionFrameError('Invalid onion request: routing metadata is not a JSON object');
  }
  return { ciphertext, meta: meta as Record<string, unknown> };
}

export function buildOnionFrame(ciphertext: Uint8Array, meta: Record<string, unknown>): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(ciphertext.length, 0);
  return Buffer.concat([len, toBuffer(ciphertext), Buffer.from(JSON.stringify(meta), 'utf8')]);
}
