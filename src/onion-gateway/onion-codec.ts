import { bdecodeList } from '../crypto';
import { encodeV4Reply, INNER_METHODS, innerHeaders, validTarget, type InnerRequest } from '../api/inner-request';

/*
 * Plaintexts inside onion requests: v4 (bencoded, protocol §4.4/§4.5) and the deprecated v3 (JSON,
 * protocol §4.6). Pure functions; the gateway service decrypts, dispatches and encrypts around them.
 */

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(utf8Strict.decode(bytes));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * `l <meta> [<body>] e` with meta `{"method", "endpoint", "headers"?}`; null when invalid. The body
 * is a view into the plaintext (no copy); Content-Type defaults to application/octet-stream.
 */
export function decodeV4Request(plaintext: Uint8Array): InnerRequest | null {
  let items: Buffer[];
  try {
    items = bdecodeList(plaintext);
  } catch {
    return null;
  }
  if (items.length < 1 || items.length > 2) return null;
  const meta = parseJsonObject(items[0]);
  if (!meta || typeof meta.method !== 'string' || !INNER_METHODS.has(meta.method) || !validTarget(meta.endpoint)) return null;
  const headers = innerHeaders(meta.headers);
  if (!headers) return null;
  headers['content-type'] ??= 'application/octet-stream';
  return { method: meta.method, target: meta.endpoint, headers, body: items[1] ?? Buffer.alloc(0) };
}

/** The reply to a plaintext that is not a v4 request (protocol §4.5), still encrypted and outer 200. */
export const INVALID_V4_REPLY: Buffer = encodeV4Reply({
  code: 400,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: Buffer.from('Invalid v4 onion request'),
});

/**
 * v3 inner request (protocol §4.6): a JSON object; header names lower-cased; body a string, only on
 * POST/PUT (GET/DELETE tolerate "" and the literal "null"); Content-Type forced to JSON. An
 * endpoint without a leading `/` is a legacy call under /legacy/ with `auth_code` as Authorization.
 */
export function decodeV3Request(plaintext: Uint8Array): InnerRequest | null {
  if (plaintext.length === 0 || plaintext[0] !== 0x7b /* { */) return null;
  const req = parseJsonObject(plaintext);
  if (!req || typeof req.method !== 'string' || !INNER_METHODS.has(req.method) || typeof req.endpoint !== 'string') return null;
  const legacy = !req.endpoint.startsWith('/');
  const target = legacy ? `/legacy/${req.endpoint}` : req.endpoint;
  if (!validTarget(target)) return null;
  const headers = innerHeaders(req.headers);
  if (!headers) return null;
  headers['content-type'] = 'application/json';
  if (legacy && typeof req.auth_code === 'string') headers['authorization'] = req.auth_code;
  const body = req.body;
  if (body !== undefined && body !== null && typeof body !== 'string') return null;
  if (req.method === 'POST' || req.method === 'PUT') {
    return { method: req.method, target, headers, body: Buffer.from(body ?? '', 'utf8') };
  }
  if (body && body !== 'null') return null;
  return { method: req.method, target, headers };
}

/** v3 reply plaintext (protocol §4.6): the body on 2xx, else `{"status_code": N}`. */
export function v3ReplyBody(code: number, body: Buffer): Buffer {
  return code >= 200 && code < 300 ? body : Buffer.from(JSON.stringify({ status_code: code }));
}

export const INVALID_V3_REPLY: Buffer = v3ReplyBody(400, Buffer.alloc(0));
