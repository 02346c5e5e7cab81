import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, KeyObject, type JsonWebKey } from 'node:crypto';
import { bytesToHex, toBuffer } from './bytes';
import { BoundedCache } from './cache';

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const privateKeys = new BoundedCache<KeyObject>(16);

function privateKeyObject(priv: Uint8Array): KeyObject {
  const hex = bytesToHex(priv);
  return privateKeys.get(hex) ?? privateKeys.set(hex, createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, toBuffer(priv)]), format: 'der', type: 'pkcs8' }));
}

/**
 * X25519(priv, pub) with OpenSSL. Throws when the result is all zeros (a small-order peer key),
 * as libsodium's crypto_scalarmult refuses it too.
 */
export function x25519SharedSecret(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  if (pub.length !== 32) throw new Error('X25519 public key must be 32 bytes');
  // JWK import is several times faster than DER in OpenSSL 3's decoder stack (hot path: one per request)
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: toBuffer(pub).toString('base64url') },
    format: 'jwk',
  });
  return new Uint8Array(diffieHellman({ privateKey: privateKeyObject(priv), publicKey }));
}

export interface X25519KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function x25519KeyPair(): X25519KeyPair {
  // Encoded by the generation job itself: exporting the returned KeyObject afterwards can deadlock
  // Node 20 (a GC during the JWK export runs the finished job's destructor, which takes the key's
  // lock the export holds); seen in the benchmark's request pre-building.
  const encoding = { format: 'jwk' } as unknown as { format: 'pem' }; // @types/node 20 lacks the 'jwk' overload
  const pair = generateKeyPairSync('x25519', { privateKeyEncoding: { ...encoding, type: 'pkcs8' }, publicKeyEncoding: { ...encoding, type: 'spki' } });
  const { privateKey, publicKey } = pair as unknown as { privateKey: JsonWebKey; publicKey: JsonWebKey };
  if (typeof privateKey.d !== 'string' || typeof publicKey.x !== 'string') throw new Error('X25519 key generation failed');
  return {
    privateKey: new Uint8Array(Buffer.from(privateKey.d, 'base64url')),
    publicKey: new Uint8Array(Buffer.from(publicKey.x, 'base64url')),
  };
}

export function x25519PublicKey(priv: Uint8Array): Uint8Array {
  const pub = createPublicKey(privateKeyObject(priv)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(pub.subarray(pub.length - 32));
}
