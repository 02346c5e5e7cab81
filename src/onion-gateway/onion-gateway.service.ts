import { Inject, Injectable } from '@nestjs/common';
import type { FastifyBaseLogger } from 'fastify';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import type { DispatchContext } from '../auth/auth.types';
import { RetryReplies } from '../auth/retry-replies';
import { ChangeFeed } from '../cache/change-feed';
import { OnionFrameError, onionDecrypt, onionEncrypt, onionSharedKey, parseEncType, parseEphemeralKey, parseOnionFrame } from '../crypto';
import { MetricsService } from '../metrics/metrics.service';
import type { InnerRequest } from './inner-request';
import { FORBIDDEN_INNER_HEADERS, InternalDispatcher } from './internal-dispatcher';
import { decodeV3Request, decodeV4Request, encodeV4Reply, INVALID_V3_REPLY, INVALID_V4_REPLY, splitV4Reply, v3ReplyBody } from './onion-codec';

export type OnionVersion = 'v3' | 'v4';

/** What the gateway route sends: outer 400 (plain text) or outer 200 with the encrypted reply. */
export type OnionRefusal = { ok: false; reason: string };
export type OnionOutcome = { ok: true; payload: Buffer | string } | OnionRefusal;

/** Why a frame was refused: the metrics label (bounded) and the plain-text reason sent back. */
type Refusal = [label: string, reason: string];

/**
 * Onion requests as SOGS receives them (spec §4): cheap frame checks first, then X25519 and the
 * decrypt; every error of the inner request travels encrypted with outer status 200 (spec §11:
 * any other outer status makes clients drop the path).
 */
@Injectable()
export class OnionGatewayService {
  constructor(
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    private readonly dispatcher: InternalDispatcher,
    private readonly retries: RetryReplies,
    private readonly metrics: MetricsService,
    private readonly changes: ChangeFeed,
  ) {}

  /** An outer 400, counted by reason. */
  refuse([label, reason]: Refusal): OnionRefusal {
    this.metrics.onionDecryptFailures.inc({ reason: label });
    return { ok: false, reason };
  }

  /** `log`: the outer request's logger, for the inner request's line when a direct route answers it. */
  async handle(version: OnionVersion, body: Buffer, log?: FastifyBaseLogger): Promise<OnionOutcome> {
    let frame;
    try {
      frame = parseOnionFrame(body);
    } catch (err) {
      if (err instanceof OnionFrameError) return this.refuse(['frame', err.message]);
      throw err;
    }
    const encType = parseEncType(frame.meta.enc_type);
    if (!encType) return this.refuse(['enc_type', 'Invalid onion request: unknown enc_type']);
    if (frame.meta.ephemeral_key === undefined) return this.refuse(['ephemeral_key', 'Invalid onion request: missing ephemeral_key']);
    const ephemeral = parseEphemeralKey(frame.meta.ephemeral_key);
    if (!ephemeral) return this.refuse(['ephemeral_key', 'Invalid onion request: ephemeral_key is not a 32-byte key']);
    let key: Uint8Array;
    try {
      key = onionSharedKey(encType, this.serverKey.privateKey, this.serverKey.publicKey, ephemeral);
    } catch (err) {
      if (err instanceof OnionFrameError) return this.refuse(['ephemeral_key', `Invalid onion request: ${err.message}`]);
      throw err;
    }
    const plaintext = onionDecrypt(encType, key, frame.ciphertext);
    if (!plaintext) return this.refuse(['decrypt', 'Invalid onion request: decryption failed']);

    if (version === 'v4') {
      const inner = decodeV4Request(plaintext, FORBIDDEN_INNER_HEADERS);
      const reply = inner ? await this.run(inner, log) : INVALID_V4_REPLY;
      return { ok: true, payload: onionEncrypt(encType, key, reply) };
    }
    const inner = decodeV3Request(plaintext, FORBIDDEN_INNER_HEADERS);
    let reply = INVALID_V3_REPLY;
    if (inner) {
      const { code, body: replyBody } = splitV4Reply(await this.run(inner, log));
      reply = v3ReplyBody(code, replyBody);
    }
    // v3 replies travel base64-encoded (spec §4.6).
    return { ok: true, payload: onionEncrypt(encType, key, reply).toString('base64') };
  }

  /**
   * Dispatches and returns the v4 reply plaintext. A signed request's reply is kept for its
   * retries; a retry gets the original reply instead of running again (issue 9 item 5). Reads
   * (context.readOnly) are not kept: their retries run again.
   */
  private async run(inner: InnerRequest, log: FastifyBaseLogger | undefined): Promise<Buffer> {
    const context: DispatchContext = { signedTarget: inner.target, log, readOnly: inner.method === 'GET' };
    const res = await this.dispatcher.dispatch(inner, context);
    // What a request changed is in this process's caches before its reply leaves (read-your-writes).
    if (!context.readOnly) await this.changes.sync();
    const reply = encodeV4Reply(res);
    const signed = context.signed;
    if (signed?.retry) return (await this.retries.original(signed)) ?? reply;
    if (signed && !context.readOnly) void this.retries.settle(signed, res.code, reply);
    return reply;
  }
}
