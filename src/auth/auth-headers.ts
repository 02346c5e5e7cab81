/*
 * X-SOGS-* request authentication: the wire format (protocol §3.1–§3.3).
 *
 * A request is signed by sending four headers (names are case-insensitive, also inside onion and
 * batch sub-requests):
 *
 *   X-SOGS-Pubkey      33 bytes = one prefix byte + a 32-byte Ed25519 public key.
 *                        0x15  the key is the user's blinded key kA for this server (protocol §2.3);
 *                              the user is "15" + hex(kA).
 *                        0x00  the user's own Ed25519 key; the user is "05" + hex of its X25519
 *                              form. Accepted only when REQUIRE_BLIND_KEYS is off.
 *                      Clients send 66 hex digits; 44 base64 characters are accepted too.
 *   X-SOGS-Nonce       16 random bytes, used once: 32 hex digits, or base64 (22 bare / 24 padded).
 *   X-SOGS-Timestamp   unix seconds in decimal; must lie within AUTH_TIMESTAMP_WINDOW of our clock.
 *   X-SOGS-Signature   64-byte Ed25519 signature: 128 hex digits, or base64 (86 bare / 88 padded).
 *
 * A binary value whose length is exactly twice its byte size is read as hex; a value whose length
 * lies between the bare and the padded base64 length must be strict standard base64 decoding to
 * exactly that size; any other length is refused.
 *
 * The signature is made by the pubkey over these bytes, concatenated with no separators:
 *
 *   server X25519 pubkey (32 raw bytes)
 *   nonce (16 raw bytes)
 *   the timestamp header's digits exactly as sent
 *   the method ("GET", "POST", …)
 *   the path, percent-decoded to UTF-8 bytes (`+` stays `+`)
 *   "?" and the raw, undecoded query string        — only when the query is non-empty
 *   BLAKE2b-512 (unkeyed, 64 bytes) of the raw body — only when the body is non-empty
 *
 * Zero headers (absent or empty) means an anonymous request. Anything in between is checked in the
 * order of protocol §3.2, each failure with its exact status and text; this file holds the steps that
 * need no I/O (1–9). The signature is verified before the nonce is spent or a user row is touched
 * (protocol §13: the reference did it the other way round). Onion requests carry these headers inside
 * the encrypted inner request; /batch and /sequence sub-requests inherit the outer user and their
 * own X-SOGS-* headers are ignored.
 */
import { HttpException } from '@nestjs/common';
import { bytesToHex, decodeHexOrBase64, ed25519PubToX25519, isValidEd25519Point } from '../crypto';
import { SESSION_ID_PREFIX } from '../protocol/constants';
import type { SignedRequestInfo } from './auth.types';

/** 425 Too Early: clients read it as "clock out of sync" (protocol §3.2). */
export const TOO_EARLY = 425;

/**
 * A refused authentication: the status and exact text of protocol §3.2, and a short metrics label.
 * `signed`: the request's nonce was spent before it was refused (its reply is kept for retries).
 */
export class AuthFailure extends HttpException {
  constructor(
    readonly reason: string,
    status: number,
    message: string,
    readonly signed?: SignedRequestInfo,
  ) {
    super(message, status);
  }
}

export interface SogsCredentials {
  /** The 32 key bytes after the prefix: the signature's public key (kA for 15 ids). */
  key: Uint8Array;
  /** "15…" (or "05…" for a 00 key), lowercase. */
  sessionId: string;
  nonce: Uint8Array;
  signature: Uint8Array;
  /** The timestamp header exactly as sent: it is signed as text. */
  timestamp: string;
}

export interface AuthHeaderPolicy {
  requireBlindKeys: boolean;
  /** Seconds either side of `nowSeconds` a timestamp may be (inclusive). */
  window: number;
  nowSeconds: number;
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v.join(', ') : v) ?? '';
}

const invalid = (reason: string, what: string) => new AuthFailure(reason, 400, `Invalid authentication: ${what}`);
const TIMESTAMP_RE = /^[+-]?[0-9]+$/;

/**
 * Steps 1–9 of protocol §3.2 on lower-cased header names. Returns null for an anonymous request, the
 * decoded credentials otherwise; throws the step's HttpException.
 */
export function parseAuthHeaders(headers: HeaderBag, policy: AuthHeaderPolicy): SogsCredentials | null {
  const pubkey = header(headers, 'x-sogs-pubkey');
  const nonce = header(headers, 'x-sogs-nonce');
  const timestamp = header(headers, 'x-sogs-timestamp');
  const signature = header(headers, 'x-sogs-signature');
  const missing = [pubkey, nonce, timestamp, signature].filter((v) => v === '').length;
  if (missing === 4) return null;
  if (missing > 0) {
    throw new AuthFailure('missing_headers', 400, `Invalid authentication headers: missing ${missing}/4 required X-SOGS-* headers`);
  }

  const pk = decodeHexOrBase64(pubkey, 33);
  if (!pk) throw invalid('pubkey', 'X-SOGS-Pubkey is not a valid 66-hex digit id');
  const prefix = pk[0];
  if (prefix !== 0x00 && prefix !== 0x15) throw invalid('pubkey', 'X-SOGS-Pubkey must be 00- or 15- prefixed');
  const key = pk.subarray(1);
  // A function, not a value: an exception built on every request costs a stack trace.
  const notEd25519 = () => invalid('pubkey', 'given X-SOGS-Pubkey is not a valid Ed25519 pubkey');
  if (!isValidEd25519Point(key)) throw notEd25519();
  let sessionId: string;
  if (prefix === 0x15) {
    sessionId = SESSION_ID_PREFIX.blinded + bytesToHex(key);
  } else {
    if (policy.requireBlindKeys) throw invalid('unblinded_key', 'this server requires the use of blinded ids');
    try {
      sessionId = SESSION_ID_PREFIX.unblinded + bytesToHex(ed25519PubToX25519(key));
    } catch {
      throw notEd25519();
    }
  }

  const nonceBytes = decodeHexOrBase64(nonce, 16);
  if (!nonceBytes) throw invalid('nonce', 'X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)');
  const sig = decodeHexOrBase64(signature, 64);
  if (!sig) throw invalid('signature', 'X-SOGS-Signature is not base64[88]');
  if (!TIMESTAMP_RE.test(timestamp)) throw invalid('timestamp', 'X-SOGS-Timestamp is not a valid timestamp');
  const ts = Number(timestamp);
  if (!(Math.abs(policy.nowSeconds - ts) <= policy.window)) {
    throw new AuthFailure('timestamp_window', TOO_EARLY, 'Invalid authentication: X-SOGS-Timestamp is too far from current time');
  }
  return { key, sessionId, nonce: nonceBytes, signature: sig, timestamp };
}
