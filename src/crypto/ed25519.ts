import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, KeyObject } from 'node:crypto';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { bytesToHex, bytesToNumberLE, hexToBytes, numberToBytesLE, toBuffer } from './bytes';
import { BoundedCache } from './cache';

/** Order of the Ed25519 prime subgroup. */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
/** Field prime 2^255 − 19. */
export const P = 2n ** 255n - 19n;
const Y_MASK = (1n << 255n) - 1n;

/** Thrown when bytes that should be a public key cannot be one (callers turn it into a 4xx). */
export class InvalidKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidKeyError';
  }
}

export type EdwardsPoint = ReturnType<typeof ed25519.Point.fromBytes>;
export const EdPoint = ed25519.Point;

/** y coordinates (mod p) of the 8 small-order points; libsodium's blocklist is exactly these. */
const SMALL_ORDER_Y = new Set(ED25519_TORSION_SUBGROUP.map((h) => (bytesToNumberLE(hexToBytes(h)) & Y_MASK) % P));

/** libsodium `ge25519_has_small_order`: compares the encoding, ignoring the sign bit. */
function hasSmallOrderEncoding(enc: Uint8Array): boolean {
  return SMALL_ORDER_Y.has((bytesToNumberLE(enc) & Y_MASK) % P);
}

function isCanonicalEncoding(enc: Uint8Array): boolean {
  return (bytesToNumberLE(enc) & Y_MASK) < P;
}

const validPoints = new BoundedCache<boolean>(100_000);

/**
 * libsodium `crypto_core_ed25519_is_valid_point` (protocol §3.2 step 4): canonical encoding, on the
 * curve, not small order, and in the prime-order subgroup. Memoised: the torsion check costs a
 * full scalar multiplication and the same users authenticate on every poll.
 */
export function isValidEd25519Point(pub: Uint8Array): boolean {
  if (pub.length !== 32) return false;
  const key = bytesToHex(pub);
  const cached = validPoints.get(key);
  if (cached !== undefined) return cached;
  let valid = false;
  if (isCanonicalEncoding(pub) && !hasSmallOrderEncoding(pub)) {
    try {
      const point = EdPoint.fromBytes(pub, false);
      valid = !point.isSmallOrder() && point.isTorsionFree();
    } catch {
      valid = false;
    }
  }
  return validPoints.set(key, valid);
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const edPublicKeys = new BoundedCache<KeyObject>(20_000);

function edPublicKeyObject(pub: Uint8Array): KeyObject {
  const hex = bytesToHex(pub);
  return (
    edPublicKeys.get(hex) ??
    edPublicKeys.set(
      hex,
      // JWK import is several times faster than DER in OpenSSL 3's decoder stack
      createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBuffer(pub).toString('base64url') }, format: 'jwk' }),
    )
  );
}

/**
 * Ed25519 verification with libsodium's `crypto_sign_verify_detached` semantics (protocol §3.3):
 * S < L, R and A not small order, A canonical, then the cofactorless equation compared on the
 * encoding of R. The prechecks are libsodium's; OpenSSL (node:crypto) performs the same
 * cofactorless byte comparison, natively. Never throws.
 */
export function verifyEd25519Strict(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  if (sig.length !== 64 || pub.length !== 32) return false;
  if (bytesToNumberLE(sig.subarray(32)) >= L) return false;
  if (hasSmallOrderEncoding(sig.subarray(0, 32))) return false;
  if (!isCanonicalEncoding(pub) || hasSmallOrderEncoding(pub)) return false;
  try {
    return nodeVerify(null, msg, edPublicKeyObject(pub), sig);
  } catch {
    return false;
  }
}

/** Ed25519 public key of a 32-byte seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

/** Standard (unblinded, `00`-key) Ed25519 signer for a 32-byte seed; the key object is built once. */
export function ed25519Signer(seed: Uint8Array): (message: Uint8Array) => Uint8Array {
  const key = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, toBuffer(seed)]),
    format: 'der',
    type: 'pkcs8',
  });
  return (message) => new Uint8Array(nodeSign(null, message, key));
}

export function ed25519Sign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  return ed25519Signer(seed)(msg);
}

/** libsodium `crypto_sign_ed25519_pk_to_curve25519`; throws InvalidKeyError for a non-point. */
export function ed25519PubToX25519(pub: Uint8Array): Uint8Array {
  try {
    return ed25519.utils.toMontgomery(pub);
  } catch {
    throw new InvalidKeyError('not a valid Ed25519 public key');
  }
}

/**
 * XEd25519 public-key conversion (protocol §2.3): y = (u−1)/(u+1) mod p, sign bit 0. The result is
 * A or −A for the user's real Ed25519 key; whether it is on the curve is checked by whoever
 * decodes it. Throws InvalidKeyError when u = −1 (no such y).
 */
export function x25519PubToEd25519(u: Uint8Array): Uint8Array {
  if (u.length !== 32) throw new InvalidKeyError('X25519 public key must be 32 bytes');
  const Fp = EdPoint.Fp;
  const un = Fp.create(bytesToNumberLE(u) & Y_MASK);
  const denominator = Fp.add(un, 1n);
  if (Fp.is0(denominator)) throw new InvalidKeyError('not a valid X25519 public key');
  return numberToBytesLE(Fp.div(Fp.sub(un, 1n), denominator), 32);
}
