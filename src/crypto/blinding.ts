import { blake2b512, sha512 } from './hash';
import { bytesToHex, bytesToNumberLE, concatBytes, hexToBytes, numberToBytesLE } from './bytes';
import { BoundedCache } from './cache';
import { EdPoint, InvalidKeyError, L, ed25519PubToX25519, x25519PubToEd25519 } from './ed25519';
import { PREFIXED_ID, SESSION_ID_PREFIX, UNBLINDED_SESSION_ID, type SessionIdPrefix } from '../protocol/constants';

/*
 * "15" blinding of protocol §2.3. k = reduce512(BLAKE2b-512(server X25519 pubkey)); a user's blinded
 * key is kA = (k·a mod L)·G, which equals k·A, so the server can compute it (up to sign) from a
 * 05 id without the user's secret.
 */

const factors = new BoundedCache<bigint>(64);

/** k = BLAKE2b-512(serverPk) as a little-endian integer mod L; memoised per server key. */
export function blindingFactor(serverPk: Uint8Array): bigint {
  const hex = bytesToHex(serverPk);
  return factors.get(hex) ?? factors.set(hex, bytesToNumberLE(blake2b512(serverPk)) % L);
}

/** The clamped Ed25519 private scalar a of a 32-byte seed (libsodium sk_to_curve25519). */
export function ed25519Scalar(seed: Uint8Array): bigint {
  const h = sha512(seed).slice(0, 32);
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  return bytesToNumberLE(h);
}

export interface Blind15KeyPair {
  /** kA, 32-byte Ed25519 encoding */
  publicKey: Uint8Array;
  /** ka = k·a mod L */
  scalar: bigint;
}

/**
 * `negated`: −ka and −kA instead, the twin key anyone holding ka can sign with (same 05 id, the
 * sign bit of kA flipped); the server treats both as one user (canonicalSessionId).
 */
export function blind15KeyPair(seed: Uint8Array, serverPk: Uint8Array, negated = false): Blind15KeyPair {
  const ka = (blindingFactor(serverPk) * ed25519Scalar(seed)) % L;
  const scalar = negated ? (L - ka) % L : ka;
  return { publicKey: EdPoint.BASE.multiply(scalar).toBytes(), scalar };
}

export function blind15IdFromSeed(seed: Uint8Array, serverPk: Uint8Array): string {
  return SESSION_ID_PREFIX.blinded + bytesToHex(blind15KeyPair(seed, serverPk).publicKey);
}

/**
 * Both blinded ids a 05 id may correspond to (protocol §2.3): abs has bit 7 of the last byte clear,
 * neg has it set. Throws InvalidKeyError if the id is malformed or its key is not on the curve.
 */
export function blind15IdsFromSessionId(sid05hex: string, serverPk: Uint8Array): { abs: string; neg: string } {
  if (!UNBLINDED_SESSION_ID.test(sid05hex)) throw new InvalidKeyError('not a 05-prefixed session id');
  const a0 = x25519PubToEd25519(hexToBytes(sid05hex.slice(2)));
  let point;
  try {
    point = EdPoint.fromBytes(a0, false);
  } catch {
    throw new InvalidKeyError('session id is not a valid X25519 public key');
  }
  const kA = point.multiplyUnsafe(blindingFactor(serverPk)).toBytes();
  const abs = kA.slice();
  abs[31] &= 0x7f;
  const neg = kA.slice();
  neg[31] |= 0x80;
  return { abs: SESSION_ID_PREFIX.blinded + bytesToHex(abs), neg: SESSION_ID_PREFIX.blinded + bytesToHex(neg) };
}

/**
 * The "abs" form of a 15 id: bit 7 of the last byte cleared (needs_blinding key, protocol §2.4). kA and
 * −kA differ only in that bit, so this is also the one identity behind both (canonicalSessionId).
 */
export function blindedAbs(id15: string): string {
  const lastByte = parseInt(id15.slice(-2), 16) & 0x7f;
  return id15.slice(0, -2).toLowerCase() + lastByte.toString(16).padStart(2, '0');
}

/**
 * Signs under kA as Session clients do (protocol §2.3, pysogs/desktop nonce from the 32-byte seed).
 * The server only verifies; this is for the project's client and tests. The returned signer keeps
 * ka and kA so a client signing many requests pays for the key derivation once.
 */
export function blind15Signer(seed: Uint8Array, serverPk: Uint8Array, negated = false): (message: Uint8Array) => Uint8Array {
  const { publicKey: kA, scalar: ka } = blind15KeyPair(seed, serverPk, negated);
  const hRh = sha512(seed).slice(32, 64);
  return (message) => {
    const r = bytesToNumberLE(sha512(concatBytes(hRh, kA, message))) % L;
    const R = EdPoint.BASE.multiply(r).toBytes();
    const hram = bytesToNumberLE(sha512(concatBytes(R, kA, message))) % L;
    const s = (r + hram * ka) % L;
    return concatBytes(R, numberToBytesLE(s, 32));
  };
}

export function blind15Sign(seed: Uint8Array, serverPk: Uint8Array, message: Uint8Array): Uint8Array {
  return blind15Signer(seed, serverPk)(message);
}

/** "05" + X25519 form of an Ed25519 pubkey (the unblinded Session id). */
export function sessionIdFromEd25519Pub(pub: Uint8Array): string {
  return SESSION_ID_PREFIX.unblinded + bytesToHex(ed25519PubToX25519(pub));
}

const PREFIXES: readonly SessionIdPrefix[] = Object.values(SESSION_ID_PREFIX);

/** The recognised prefix of a 66-hex id, or null for anything else. */
export function sessionIdPrefix(id: string): SessionIdPrefix | null {
  if (!PREFIXED_ID.test(id)) return null;
  const prefix = id.slice(0, 2).toLowerCase();
  return PREFIXES.find((p) => p === prefix) ?? null;
}

/**
 * Whether X-SOGS-Pubkey may carry this prefix (protocol §3.2 step 3): only 00 and 15. 25 (blind25)
 * and 07 (file-server version key) are recognised ids but are refused by SOGS auth.
 */
export function isSogsAuthPrefix(prefix: number | string): boolean {
  const byte = typeof prefix === 'number' ? prefix : parseInt(prefix.slice(0, 2), 16);
  return byte === 0x00 || byte === 0x15;
}
