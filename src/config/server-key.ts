import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';

export interface ServerKey {
  /** 32-byte X25519 private key (pysogs `key_x25519` format). */
  privateKey: Uint8Array;
  /** 32-byte X25519 public key: the server "public key" of join URLs, onion requests and blinding. */
  publicKey: Uint8Array;
  publicKeyHex: string;
}

/**
 * Reads the server's X25519 key from KEY_FILE (raw 32 bytes, as pysogs writes it), creating it with
 * owner-only permissions on first start (protocol §2.1).
 */
export function loadOrCreateServerKey(path: string): ServerKey {
  let privateKey: Uint8Array;
  if (existsSync(path)) {
    const raw = readFileSync(path);
    if (raw.length !== 32) throw new Error(`KEY_FILE ${path} must hold exactly 32 raw bytes (found ${raw.length})`);
    privateKey = new Uint8Array(raw);
  } else {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    privateKey = new Uint8Array(randomBytes(32));
    writeFileSync(path, privateKey, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  }
  const publicKey = x25519.getPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyHex: Buffer.from(publicKey).toString('hex') };
}

export const SERVER_KEY = Symbol('SERVER_KEY');
