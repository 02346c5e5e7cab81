// Session id helpers (protocol §2.2, §2.4). Pure: no Nest, no I/O.
import { blindedAbs } from '../crypto/blinding';
import { SESSION_ID_PREFIX } from '../protocol/constants';

/** Ids are stored and compared lowercase so `05AB…` and `05ab…` are one user (protocol §13). */
export function normaliseSessionId(sessionId: string): string {
  return sessionId.toLowerCase();
}

/**
 * The one identity behind a session id (users.canonical_id, issue 19 item 7): whoever signs as a
 * blinded key kA can sign as −kA too, which differs only in the sign bit, so a 15 id counts with
 * that bit cleared. Any other id is its own. Bans, permissions, rate limits and quotas go by it.
 */
export function canonicalSessionId(sessionId: string): string {
  const id = normaliseSessionId(sessionId);
  return isBlindedId(id) ? blindedAbs(id) : id;
}

export function isBlindedId(sessionId: string): boolean {
  return sessionId.startsWith(SESSION_ID_PREFIX.blinded);
}

export function isUnblindedId(sessionId: string): boolean {
  return sessionId.startsWith(SESSION_ID_PREFIX.unblinded);
}
