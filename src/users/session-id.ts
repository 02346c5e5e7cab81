// Session id helpers (spec §2.2, §2.4). Pure: no Nest, no I/O.

/** 05 (unblinded) or 15 (blinded) id, any hex case (route pattern `AnySessionID`). */
export const ANY_SESSION_ID = /^[01]5[0-9a-fA-F]{64}$/;
/** 15 (blinded) id only (route pattern `BlindSessionID`). */
export const BLIND_SESSION_ID = /^15[0-9a-fA-F]{64}$/;

/** Ids are stored and compared lowercase so `05AB…` and `05ab…` are one user (spec §13). */
export function normaliseSessionId(sessionId: string): string {
  return sessionId.toLowerCase();
}

export function isBlindedId(sessionId: string): boolean {
  return sessionId.startsWith('15');
}

export function isUnblindedId(sessionId: string): boolean {
  return sessionId.startsWith('05');
}
