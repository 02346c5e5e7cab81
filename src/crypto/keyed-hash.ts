import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The per-deployment secret of keyed hashes, derived (HKDF-SHA256) from the server's X25519 private
 * key: every replica shares KEY_FILE, so every replica derives the same secret with no extra setup,
 * and the derivation never reveals the key. `purpose` separates independent uses.
 */
export function deriveSecret(serverPrivateKey: Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverPrivateKey, Buffer.alloc(0), `session-community-server ${purpose}`, 32));
}

/**
 * HMAC-SHA256 of `value` under `secret`, as 32 hex digits (128 bits: collisions are out of reach for
 * any number of subjects a server sees). Equal inputs give equal outputs, so a Redis counter keyed
 * by it still counts one subject; without the secret it cannot be linked back to the value.
 */
export function keyedHash(secret: Uint8Array, value: string | Uint8Array): string {
  return createHmac('sha256', secret).update(value).digest('hex').slice(0, 32);
}
