// The shapes of SOGS identifiers (protocol §2.2, §4.1), in one place for every layer. Pure constants:
// this module imports nothing, so even crypto/ may use it.

/** A room token: 1 to 64 of A-Z a-z 0-9 _ - */
export const ROOM_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A file-server file id (protocol §12): digits (compat ids) or base64url (content ids). Anything else
 * (a NUL, which PostgreSQL text cannot hold, a space, a slash) is bad input, answered 400 before any lookup.
 */
export const FILE_SERVER_FILE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Session id prefixes (protocol §2.2): the first byte of a 33-byte id, as two lowercase hex digits. */
export const SESSION_ID_PREFIX = {
  /** An account's X25519 key: the unblinded Session id. */
  unblinded: '05',
  /** A blinded id (blind15). */
  blinded: '15',
  /** A blind25 id: recognised, refused by SOGS auth. */
  blinded25: '25',
  /** An unblinded Ed25519 key, as X-SOGS-Pubkey carries it where unblinded auth is allowed. */
  ed25519: '00',
  /** The file server's version key. */
  fileServer: '07',
  /** The system user (`ff` + server key). */
  system: 'ff',
} as const;
export type SessionIdPrefix = (typeof SESSION_ID_PREFIX)[keyof typeof SESSION_ID_PREFIX];

/** 05 (unblinded) or 15 (blinded) id, any hex case (route pattern `AnySessionID`). */
export const ANY_SESSION_ID = /^[01]5[0-9a-fA-F]{64}$/;
/** 15 (blinded) id only (route pattern `BlindSessionID`). */
export const BLIND_SESSION_ID = /^15[0-9a-fA-F]{64}$/;
/** 05 (unblinded) id only. */
export const UNBLINDED_SESSION_ID = /^05[0-9a-fA-F]{64}$/;
/** A prefix and a 32-byte key, whatever the prefix. */
export const PREFIXED_ID = /^[0-9a-fA-F]{66}$/;
