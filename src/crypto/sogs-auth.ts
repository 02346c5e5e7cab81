import { concatBytes, utf8 } from './bytes';
import { blake2b512 } from './hash';

const HEX_DIGIT = /^[0-9a-fA-F]{2}$/;

/**
 * The path bytes that are signed (protocol §3.3): `%XX` percent-decoded to raw bytes, `+` kept, other
 * characters (including raw UTF-8) kept as their UTF-8 bytes. A `%` not followed by two hex
 * digits is kept literally.
 */
export function decodeSignedPath(path: string): Uint8Array {
  if (!path.includes('%')) return utf8(path);
  const raw = Buffer.from(path, 'utf8');
  const out = Buffer.alloc(raw.length);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x25 && i + 2 < raw.length && HEX_DIGIT.test(raw.toString('latin1', i + 1, i + 3))) {
      out[o++] = parseInt(raw.toString('latin1', i + 1, i + 3), 16);
      i += 2;
    } else {
      out[o++] = raw[i];
    }
  }
  return new Uint8Array(out.subarray(0, o));
}

export interface SogsSignedMessageInput {
  /** Server X25519 public key, 32 bytes */
  serverPubkey: Uint8Array;
  /** 16 decoded nonce bytes */
  nonce: Uint8Array;
  /** the X-SOGS-Timestamp header exactly as sent */
  timestamp: string;
  method: string;
  /** path as on the wire (may be percent-encoded), without the query */
  path: string;
  /** raw query string without '?', '' if none */
  query: string;
  body?: Uint8Array;
}

/** SERVER_PUBKEY || NONCE || TIMESTAMP || METHOD || PATH [|| "?" QUERY] [|| BLAKE2b-512(body)] (protocol §3.3). */
export function sogsSignedMessage(input: SogsSignedMessageInput): Uint8Array {
  const parts: Uint8Array[] = [input.serverPubkey, input.nonce, utf8(input.timestamp), utf8(input.method), decodeSignedPath(input.path)];
  if (input.query.length > 0) parts.push(utf8('?' + input.query));
  if (input.body && input.body.length > 0) parts.push(blake2b512(input.body));
  return concatBytes(...parts);
}
