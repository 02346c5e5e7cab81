import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, KeyObject } from 'node:crypto';
import { bytesToHex, toBuffer } from './bytes';
import { BoundedCache } from './cache';

const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const privateKeys = new BoundedCache<KeyObject>(16);

function privateKeyObject(priv: Uint8Array): KeyObject {
  const hex = bytesToHex(priv);
  return (
    privateKeys.get(hex) ??
    privateKeys.set(
      hex,
      createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, toBuffer(priv)]), format: 'der', type: 'pkcs8' }),
    )
  );
}

/**
 * X25519(priv, pub) with OpenSSL. Throws when the result is all zeros (a small-order peer key),
 * as libsodium's crypto_scalarmult refuses it too.
 */
export function x25519SharedSecret(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  const publicKey = createPublicKey({
    key: Buffer.concat([X25519_SPKI_PREFIX, toBuffer(pub)]),
    format: 'der',
    type: 'spki',
  });
  return new Uint8Array(diffieHellman({ privateKey: privateKeyObject(priv), publicKey }));
}

export interface X25519KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function x25519KeyPair(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const priv = privateKey.export({ format: 'der', type: 'pkcs8' });
  const pub = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey: new Uint8Array(priv.subarray(priv.length - 32)),
    publicKey: new Uint8Array(pub.subarray(pub.length - 32)),
  };
}

export function x25519PublicKey(priv: Uint8Array): Uint8Array {
  const pub = createPublicKey(privateKeyObject(priv)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(pub.subarray(pub.length - 32));
}
