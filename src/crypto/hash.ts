import { createHash } from 'node:crypto';
import { blake2b as nobleBlake2b } from '@noble/hashes/blake2.js';

export interface Blake2bOptions {
  dkLen: number;
  key?: Uint8Array;
  /** 16 bytes */
  salt?: Uint8Array;
  /** 16 bytes */
  personalization?: Uint8Array;
}

/** BLAKE2b with libsodium's generichash parameters (digest size is a parameter, not a truncation). */
export function blake2b(data: Uint8Array, opts: Blake2bOptions): Uint8Array {
  if (opts.dkLen === 64 && !opts.key && !opts.salt && !opts.personalization) return blake2b512(data);
  return nobleBlake2b(data, {
    dkLen: opts.dkLen,
    key: opts.key,
    salt: opts.salt,
    personalization: opts.personalization,
  });
}

/** Unkeyed BLAKE2b-512 (body hashes of protocol §3.3, the blinding factor of §2.3): OpenSSL is native. */
export function blake2b512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('blake2b512').update(data).digest());
}

/** Unkeyed BLAKE2b with a 32-byte digest (XChaCha onion key of protocol §4.3). */
export function blake2b256(data: Uint8Array): Uint8Array {
  return nobleBlake2b(data, { dkLen: 32 });
}

export function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512').update(data).digest());
}
