import { randomBytes } from 'node:crypto';
import { blind15KeyPair, blindingFactor, ed25519Scalar, sessionIdFromEd25519Pub } from './blinding';
import { bytesToHex, concatBytes, hexToBytes } from './bytes';
import { EdPoint, L, ed25519PublicKey, isValidEd25519Point } from './ed25519';
import { blake2b } from './hash';
import { xchacha20Poly1305Open, xchacha20Poly1305Seal } from './onion';

/*
 * Blinded direct messages (protocol §6.9.1), as Session clients encrypt them between two 15 ids of
 * one server: key = BLAKE2b-256(a·kB ‖ kA ‖ kB) where A→B is the direction and a the sender's
 * (or b·kA, the recipient's) unblinded scalar; payload = 0x00 ‖ XChaCha20-Poly1305(msg ‖ A) ‖ nonce,
 * A the sender's unblinded Ed25519 key, which the recipient checks against the sender's kA.
 */

const VERSION = 0x00;
const NONCE = 24;
const ED_PUB = 32;

export class BlindedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlindedMessageError';
  }
}

function blindedKeyBytes(id15: string): Uint8Array {
  if (!/^15[0-9a-fA-F]{64}$/.test(id15)) throw new BlindedMessageError('not a 15 blinded id');
  const key = hexToBytes(id15.slice(2));
  if (!isValidEd25519Point(key)) throw new BlindedMessageError('blinded id is not a valid key');
  return key;
}

/** BLAKE2b-256(s·other ‖ from ‖ to) with s our unblinded scalar (libsodium scalarmult_ed25519_noclamp on a prime-order point). */
function sharedKey(seed: Uint8Array, other: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const combined = EdPoint.fromBytes(other)
    .multiply(ed25519Scalar(seed) % L)
    .toBytes();
  return blake2b(concatBytes(combined, from, to), { dkLen: 32 });
}

/** The DM body of a message from the holder of `seed` to the blinded id `recipient` (`nonce` only for fixed vectors). */
export function encryptForBlindedRecipient(seed: Uint8Array, serverPk: Uint8Array, recipient: string, message: Uint8Array, nonce?: Uint8Array): Uint8Array {
  const kB = blindedKeyBytes(recipient);
  const kA = blind15KeyPair(seed, serverPk).publicKey;
  const n = nonce ?? new Uint8Array(randomBytes(NONCE));
  const sealed = xchacha20Poly1305Seal(sharedKey(seed, kB, kA, kB), n, concatBytes(message, ed25519PublicKey(seed)));
  return concatBytes(Uint8Array.of(VERSION), sealed, n);
}

export interface BlindedMessage {
  plaintext: Uint8Array;
  /** The sender's unblinded 05 id, proven by the blinded key they sent from. */
  senderSessionId: string;
}

/** Opens a DM body from the blinded id `sender` to the holder of `seed`; throws BlindedMessageError when it is not one. */
export function decryptFromBlindedSender(seed: Uint8Array, serverPk: Uint8Array, sender: string, data: Uint8Array): BlindedMessage {
  if (data.length <= 1 + NONCE) throw new BlindedMessageError('message too short');
  if (data[0] !== VERSION) throw new BlindedMessageError(`unknown blinded message version ${data[0]}`);
  const kA = blindedKeyBytes(sender);
  const kB = blind15KeyPair(seed, serverPk).publicKey;
  const inner = xchacha20Poly1305Open(sharedKey(seed, kA, kA, kB), data.subarray(data.length - NONCE), data.subarray(1, data.length - NONCE));
  if (!inner || inner.length <= ED_PUB) throw new BlindedMessageError('message does not decrypt');
  const senderEd = inner.subarray(inner.length - ED_PUB);
  // The sender's unblinded key must blind to the key the message came from.
  let blinded: string;
  try {
    blinded = bytesToHex(EdPoint.fromBytes(senderEd).multiply(blindingFactor(serverPk)).toBytes());
  } catch {
    throw new BlindedMessageError('sender key is not a valid key');
  }
  if (blinded !== bytesToHex(kA)) throw new BlindedMessageError('sender key does not match the blinded sender');
  return { plaintext: inner.slice(0, inner.length - ED_PUB), senderSessionId: sessionIdFromEd25519Pub(senderEd) };
}
