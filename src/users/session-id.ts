// Session id helpers (spec §2.2, §2.4). Pure: no Nest, no I/O.
import { SESSION_ID_PREFIX } from '../protocol/constants';

/** Ids are stored and compared lowercase so `05AB…` and `05ab…` are one user (spec §13). */
export function normaliseSessionId(sessionId: string): string {
  return sessionId.toLowerCase();
}

export function isBlindedId(sessionId: string): boolean {
  return sessionId.startsWith(SESSION_ID_PREFIX.blinded);
}

export function isUnblindedId(sessionId: string): boolean {
  return sessionId.startsWith(SESSION_ID_PREFIX.unblinded);
}
