import { timingSafeEqual } from 'node:crypto';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
// Standard alphabet only, with at most two '=' of padding at the end (protocol §3.1 "strict").
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes an even-length hex string (either case); throws on anything else. */
export function hexToBytes(hex: string): Uint8Array {
  if (!HEX_RE.test(hex)) throw new Error('invalid hex string');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function base64Len(size: number, padded: boolean): number {
  return padded ? Math.ceil(size / 3) * 4 : Math.ceil((size * 4) / 3);
}

/**
 * Standard-alphabet base64 decode with optional but, if present, correct padding; null otherwise.
 * Node's decoder silently skips junk, so the alphabet is validated first. Non-zero trailing bits
 * are tolerated, as Python's validating decoder (the reference) tolerates them.
 */
export function decodeBase64Strict(s: string): Uint8Array | null {
  if (!BASE64_RE.test(s)) return null;
  const unpadded = s.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return null;
  const padded = unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4);
  if (s.length !== unpadded.length && s !== padded) return null;
  return new Uint8Array(Buffer.from(padded, 'base64'));
}

/**
 * Binary X-SOGS header decoding (protocol §3.1): exactly 2×size chars → hex; a length between the
 * unpadded and padded base64 lengths → base64 that must decode to exactly `size` bytes.
 */
export function decodeHexOrBase64(s: string, size: number): Uint8Array | null {
  if (s.length === 2 * size) {
    return HEX_RE.test(s) ? new Uint8Array(Buffer.from(s, 'hex')) : null;
  }
  if (s.length >= base64Len(size, false) && s.length <= base64Len(size, true)) {
    const out = decodeBase64Strict(s);
    return out !== null && out.length === size ? out : null;
  }
  return null;
}

/** Constant-time comparison for secrets; different lengths compare unequal (length is not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

/** Little-endian bytes → bigint (libsodium scalars and field elements are little-endian). */
export function bytesToNumberLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

export function numberToBytesLE(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let v = n;
  for (let i = 0; i < len; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
