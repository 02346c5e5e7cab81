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

export class ServerKeyMissing extends Error {}

function fromPrivateKey(privateKey: Uint8Array): ServerKey {
  const publicKey = x25519.getPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyHex: Buffer.from(publicKey).toString('hex') };
}

/**
 * Reads the server's X25519 key from KEY_FILE (raw 32 bytes, as pysogs writes it). Only the server
 * creates it (loadOrCreateServerKey): anything else that made one would hand out join URLs with a key
 * no server holds, so a missing file is an error here.
 */
export function loadServerKey(path: string): ServerKey {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ServerKeyMissing(
        `No server key at ${path} (KEY_FILE): the server creates it on its first start (npm run serve or npm start); if the server keeps it elsewhere, set KEY_FILE to that file`,
        { cause: err },
      );
    }
    throw new Error(`Cannot read the server key ${path} (KEY_FILE): ${(err as Error).message}`, { cause: err });
  }
  if (raw.length !== 32) throw new Error(`KEY_FILE ${path} must hold exactly 32 raw bytes (found ${raw.length})`);
  return fromPrivateKey(new Uint8Array(raw));
}

/** The server's start: reads KEY_FILE, creating it with owner-only permissions on first start (protocol §2.1). */
export function loadOrCreateServerKey(path: string): ServerKey {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, new Uint8Array(randomBytes(32)), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  }
  return loadServerKey(path);
}

export const SERVER_KEY = Symbol('SERVER_KEY');
