import { randomBytes } from 'node:crypto';
import { blind15KeyPair, blind15Signer, bytesToHex, ed25519PublicKey, ed25519Signer, hexToBytes, sessionIdFromEd25519Pub, sogsSignedMessage, type EncType } from '../crypto';
import { SESSION_ID_PREFIX } from '../protocol/constants';
import { buildOnionRequest, type BuiltOnionRequest, type OnionVersion } from './onion-request';
import { BatchResponse, type SogsResponse } from './sogs-response';

/*
 * A Session-client double for tests, benchmarks and `probe`: signs requests with X-SOGS-* headers
 * (protocol §3.1, §3.3; blinded 15 keys or unblinded 00 keys), wraps them in v4 or v3 onion frames
 * (protocol §4) and decodes the replies, exactly as stock clients do.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface SogsClientOptions {
  baseUrl: string;
  /** server X25519 public key (64 hex or 32 bytes) */
  serverPubkey: string | Uint8Array;
  /** Ed25519 seed (32 bytes); omitted → anonymous (no X-SOGS-* headers) */
  seed?: Uint8Array;
  /** true (default): 15 blinded key; false: 00 unblinded key */
  blind?: boolean;
  /** Sign with the negated blinded key −kA (the twin id a user could switch to); tests of ban evasion. */
  negatedBlindKey?: boolean;
  onion?: OnionVersion;
  encType?: EncType;
  /** outer HTTP timeout, default 30 s */
  timeoutMs?: number;
}

export interface SignOptions {
  /** 16 bytes; default random */
  nonce?: Uint8Array;
  /** unix seconds, or an exact header string; default now */
  timestamp?: number | string;
}

export interface SogsRequest extends SignOptions {
  method: HttpMethod;
  /** path with optional "?query", sent and signed as given */
  path: string;
  /** JSON body (Content-Type: application/json) */
  json?: unknown;
  /** raw body (Content-Type: application/octet-stream unless `headers` say otherwise) */
  body?: Uint8Array | string;
  /** extra inner headers; they replace generated ones of the same name (case-insensitive) */
  headers?: Record<string, string>;
}

/** One sub-request of /batch or /sequence (protocol §6.1). */
export interface BatchSubRequest {
  method: HttpMethod;
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  b64?: string;
  bytes?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function mergeHeaders(base: Record<string, string>, extra: Record<string, string> | undefined): Record<string, string> {
  if (!extra) return base;
  const out: Record<string, string> = {};
  const overridden = new Set(Object.keys(extra).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(base)) if (!overridden.has(k.toLowerCase())) out[k] = v;
  return { ...out, ...extra };
}

export class SogsClient {
  readonly baseUrl: string;
  readonly serverPubkey: Uint8Array;
  readonly seed: Uint8Array | null;
  readonly blind: boolean;
  readonly onion: OnionVersion;
  readonly encType: EncType;
  /** "15…" (blinded), "05…" (blind: false) or null (anonymous) */
  readonly sessionId: string | null;
  /** the X-SOGS-Pubkey value: "15…" or "00…"; null when anonymous */
  readonly authPubkey: string | null;
  private readonly timeoutMs: number;
  private readonly signer: ((message: Uint8Array) => Uint8Array) | null;

  constructor(opts: SogsClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.serverPubkey = typeof opts.serverPubkey === 'string' ? hexToBytes(opts.serverPubkey) : opts.serverPubkey;
    if (this.serverPubkey.length !== 32) throw new Error('server public key must be 32 bytes');
    this.seed = opts.seed ?? null;
    this.blind = opts.blind ?? true;
    this.onion = opts.onion ?? 'v4';
    this.encType = opts.encType ?? 'aes-gcm';
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    if (this.seed === null) {
      this.sessionId = null;
      this.authPubkey = null;
      this.signer = null;
    } else if (this.blind) {
      const negated = opts.negatedBlindKey ?? false;
      const id = SESSION_ID_PREFIX.blinded + bytesToHex(blind15KeyPair(this.seed, this.serverPubkey, negated).publicKey);
      this.sessionId = id;
      this.authPubkey = id;
      this.signer = blind15Signer(this.seed, this.serverPubkey, negated);
    } else {
      const pub = ed25519PublicKey(this.seed);
      this.sessionId = sessionIdFromEd25519Pub(pub);
      this.authPubkey = SESSION_ID_PREFIX.ed25519 + bytesToHex(pub);
      this.signer = ed25519Signer(this.seed);
    }
  }

  /** A client with a fresh random identity for the same server and transport settings. */
  static withRandomSeed(opts: Omit<SogsClientOptions, 'seed'>): SogsClient {
    return new SogsClient({ ...opts, seed: new Uint8Array(randomBytes(32)) });
  }

  /**
   * The four X-SOGS-* headers for a request (protocol §3.1/§3.3); {} when anonymous. Nonce is base64
   * with padding and the pubkey hex, as clients send them.
   */
  signHeaders(method: string, pathWithQuery: string, body?: Uint8Array, opts: SignOptions = {}): Record<string, string> {
    if (this.signer === null || this.authPubkey === null) return {};
    const nonce = opts.nonce ?? new Uint8Array(randomBytes(16));
    const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
    const q = pathWithQuery.indexOf('?');
    const message = sogsSignedMessage({
      serverPubkey: this.serverPubkey,
      nonce,
      timestamp,
      method,
      path: q < 0 ? pathWithQuery : pathWithQuery.slice(0, q),
      query: q < 0 ? '' : pathWithQuery.slice(q + 1),
      body,
    });
    return {
      'X-SOGS-Pubkey': this.authPubkey,
      'X-SOGS-Timestamp': timestamp,
      'X-SOGS-Nonce': Buffer.from(nonce).toString('base64'),
      'X-SOGS-Signature': Buffer.from(this.signer(message)).toString('base64'),
    };
  }

  /** Signs and encrypts a request without sending it (benchmarks pre-build these). */
  buildOnionRequest(req: SogsRequest): BuiltOnionRequest {
    let body: Uint8Array | undefined;
    const generated: Record<string, string> = {};
    if (req.json !== undefined) {
      body = Buffer.from(JSON.stringify(req.json), 'utf8');
      generated['Content-Type'] = 'application/json';
    } else if (req.body !== undefined) {
      body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
      generated['Content-Type'] = 'application/octet-stream';
    }
    const signed = this.signHeaders(req.method, req.path, body, req);
    return buildOnionRequest(
      { method: req.method, endpoint: req.path, headers: mergeHeaders({ ...generated, ...signed }, req.headers), body },
      { serverPubkey: this.serverPubkey, onion: this.onion, encType: this.encType },
    );
  }

  async request(req: SogsRequest): Promise<SogsResponse> {
    const built = this.buildOnionRequest(req);
    const raw = await this.sendRawFrame(built.frame, built.path);
    return built.decodeReply(raw.body, raw.status);
  }

  /** POSTs bytes as they are to the gateway (default: this client's onion path). */
  async sendRawFrame(frame: Uint8Array, path: string = this.onion === 'v4' ? '/oxen/v4/lsrpc' : '/oxen/v3/lsrpc'): Promise<RawResponse> {
    const res = await fetch(this.baseUrl + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: frame,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k.toLowerCase()] = v;
    });
    return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
  }

  get(path: string, opts: Omit<SogsRequest, 'method' | 'path'> = {}): Promise<SogsResponse> {
    return this.request({ ...opts, method: 'GET', path });
  }

  post(path: string, json?: unknown, opts: Omit<SogsRequest, 'method' | 'path' | 'json'> = {}): Promise<SogsResponse> {
    return this.request({ ...opts, method: 'POST', path, json });
  }

  put(path: string, json?: unknown, opts: Omit<SogsRequest, 'method' | 'path' | 'json'> = {}): Promise<SogsResponse> {
    return this.request({ ...opts, method: 'PUT', path, json });
  }

  delete(path: string, opts: Omit<SogsRequest, 'method' | 'path'> = {}): Promise<SogsResponse> {
    return this.request({ ...opts, method: 'DELETE', path });
  }

  /** Signed POST /batch (protocol §6.1): sub-requests run independently. */
  async batch(requests: BatchSubRequest[], opts: SignOptions = {}): Promise<BatchResponse> {
    return new BatchResponse(await this.request({ ...opts, method: 'POST', path: '/batch', json: requests }));
  }

  /** Signed POST /sequence (protocol §6.1): stops after the first non-2xx. */
  async sequence(requests: BatchSubRequest[], opts: SignOptions = {}): Promise<BatchResponse> {
    return new BatchResponse(await this.request({ ...opts, method: 'POST', path: '/sequence', json: requests }));
  }
}
