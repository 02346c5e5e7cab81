import { bdecodeList, bencodeList } from '../crypto';

/** A request dispatched inside the app: from an onion request (protocol §4.4, §4.6) or a batch (§6.1). */
export interface InnerRequest {
  method: string;
  /** Path and query exactly as the client wrote (and signed) them (protocol §3.3). */
  target: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: Buffer;
}

/** What a dispatched request produced, with headers already shaped as protocol §4.5 requires. */
export interface InnerResponse {
  code: number;
  /** Lower-case names, `content-type` always present (JSON exactly `application/json`). */
  headers: Record<string, string>;
  body: Buffer;
}

export const INNER_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'DELETE']);

/** RFC 9110 token: what a header name may contain. */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Control characters cannot occur in a request target or header value we pass on. */
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\x00-\x1f\x7f]/;

/** Headers a client may not set on an inner request: framing is ours (body length comes from the bencoded/JSON body, protocol §4.4). */
const DROPPED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'host']);

/**
 * Copies client-supplied headers (a JSON object) into lower-case string headers; null when it is
 * not an object of string → string with valid names and values.
 */
export function innerHeaders(raw: unknown): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string' || !HEADER_NAME_RE.test(name) || CONTROL_RE.test(value)) return null;
    const lower = name.toLowerCase();
    if (!DROPPED_HEADERS.has(lower)) out[lower] = value;
  }
  return out;
}

/** A request target we can dispatch: starts with `/`, no control characters. */
export function validTarget(target: unknown): target is string {
  return typeof target === 'string' && target.startsWith('/') && !CONTROL_RE.test(target);
}

/** `l <{"code","headers"}> <body> e`: the v4 reply plaintext (protocol §4.5); kept replies of retried writes are stored so too. */
export function encodeV4Reply(res: InnerResponse): Buffer {
  return bencodeList([Buffer.from(JSON.stringify({ code: res.code, headers: res.headers })), res.body]);
}

/** The response a v4 reply plaintext holds (a kept reply, answering a retry). */
export function decodeV4Reply(plain: Buffer): InnerResponse {
  const [meta, body] = bdecodeList(plain);
  const { code, headers } = JSON.parse(meta.toString('utf8')) as Pick<InnerResponse, 'code' | 'headers'>;
  return { code, headers, body };
}
