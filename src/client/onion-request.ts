import {
  bdecodeList,
  bencodeList,
  buildOnionFrame,
  bytesToHex,
  onionDecrypt,
  onionEncrypt,
  onionKeyFromSecret,
  x25519KeyPair,
  x25519SharedSecret,
  type EncType,
  type X25519KeyPair,
} from '../crypto';
import { SogsClientError, SogsResponse } from './sogs-response';

/*
 * Client side of the onion layer (protocol §4): wraps one inner request for the server key with a
 * fresh ephemeral X25519 key, and decodes the reply with the same symmetric key.
 */

export type OnionVersion = 'v4' | 'v3';

export interface InnerRequest {
  method: string;
  /** path with optional "?query", exactly as signed */
  endpoint: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface OnionTarget {
  serverPubkey: Uint8Array;
  onion: OnionVersion;
  encType: EncType;
}

export interface BuiltOnionRequest {
  /** gateway path to POST the frame to */
  path: string;
  frame: Buffer;
  /** Decodes the outer HTTP response body; a non-200 outer status is returned as the code. */
  decodeReply(body: Uint8Array, outerStatus?: number): SogsResponse;
}

export const ONION_PATHS: Record<OnionVersion, string> = { v4: '/oxen/v4/lsrpc', v3: '/oxen/v3/lsrpc' };

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function innerPlaintext(inner: InnerRequest, onion: OnionVersion): Buffer {
  const meta = { method: inner.method, endpoint: inner.endpoint, headers: inner.headers };
  if (onion === 'v4') {
    const items = [Buffer.from(JSON.stringify(meta), 'utf8')];
    if (inner.body !== undefined) items.push(Buffer.from(inner.body));
    return bencodeList(items);
  }
  // v3 carries the body as a JSON string (protocol §4.6), so it must be text.
  const body = inner.body === undefined ? undefined : utf8Strict.decode(inner.body);
  return Buffer.from(JSON.stringify(body === undefined ? meta : { ...meta, body }), 'utf8');
}

function decodeV4Reply(plaintext: Uint8Array, outerStatus: number): SogsResponse {
  let items: Buffer[];
  try {
    items = bdecodeList(plaintext);
  } catch (e) {
    throw new SogsClientError(`v4 reply is not bencoded: ${(e as Error).message}`);
  }
  if (items.length !== 2) throw new SogsClientError(`v4 reply has ${items.length} parts, expected 2`);
  let meta: { code?: unknown; headers?: unknown };
  try {
    meta = JSON.parse(items[0].toString('utf8')) as { code?: unknown; headers?: unknown };
  } catch {
    throw new SogsClientError('v4 reply metadata is not JSON');
  }
  if (typeof meta.code !== 'number') throw new SogsClientError('v4 reply metadata has no code');
  const headers: Record<string, string> = {};
  if (typeof meta.headers === 'object' && meta.headers !== null) {
    for (const [k, v] of Object.entries(meta.headers)) headers[k.toLowerCase()] = String(v);
  }
  return new SogsResponse(meta.code, headers, items[1], outerStatus);
}

/** v3 replies carry only the body on 2xx, else `{"status_code": N}` (protocol §4.6). */
function decodeV3Reply(plaintext: Uint8Array, outerStatus: number): SogsResponse {
  const body = Buffer.from(plaintext);
  let code = 200;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const keys = Object.keys(parsed);
      const status = (parsed as { status_code?: unknown }).status_code;
      if (keys.length === 1 && typeof status === 'number') code = status;
    }
  } catch {
    // a non-JSON 2xx body (v3 replies have no headers to say so)
  }
  return new SogsResponse(code, {}, body, outerStatus);
}

/**
 * Encrypts `inner` for the server. `fixed` pins the ephemeral key and IV/nonce (test vectors only).
 */
export function buildOnionRequest(inner: InnerRequest, target: OnionTarget, fixed: { ephemeral?: X25519KeyPair; nonce?: Uint8Array } = {}): BuiltOnionRequest {
  const ephemeral = fixed.ephemeral ?? x25519KeyPair();
  const secret = x25519SharedSecret(ephemeral.privateKey, target.serverPubkey);
  const key = onionKeyFromSecret(target.encType, secret, ephemeral.publicKey, target.serverPubkey);
  const ciphertext = onionEncrypt(target.encType, key, innerPlaintext(inner, target.onion), fixed.nonce);
  // session-desktop sends no enc_type for AES-GCM (the default); libsession clients name xchacha20.
  const meta: Record<string, unknown> = { ephemeral_key: bytesToHex(ephemeral.publicKey) };
  if (target.encType === 'xchacha20') meta.enc_type = 'xchacha20';
  const frame = buildOnionFrame(ciphertext, meta);

  return {
    path: ONION_PATHS[target.onion],
    frame,
    decodeReply(body: Uint8Array, outerStatus = 200): SogsResponse {
      if (outerStatus !== 200) {
        return new SogsResponse(outerStatus, {}, Buffer.from(body), outerStatus);
      }
      const encrypted = target.onion === 'v3' ? Buffer.from(Buffer.from(body).toString('latin1'), 'base64') : body;
      const plaintext = onionDecrypt(target.encType, key, encrypted);
      if (plaintext === null) throw new SogsClientError('onion reply could not be decrypted');
      return target.onion === 'v4' ? decodeV4Reply(plaintext, outerStatus) : decodeV3Reply(plaintext, outerStatus);
    },
  };
}
