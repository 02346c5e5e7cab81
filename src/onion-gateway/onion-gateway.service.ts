import { Inject, Injectable } from '@nestjs/common';
import type { FastifyBaseLogger } from 'fastify';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { InnerRouter } from '../api/router';
import { encodeV4Reply } from '../api/inner-request';
import { OnionFrameError, onionDecrypt, onionEncrypt, onionSharedKey, parseEncType, parseEphemeralKey, parseOnionFrame } from '../crypto';
import { MetricsService } from '../metrics/metrics.service';
import { decodeV3Request, decodeV4Request, INVALID_V3_REPLY, INVALID_V4_REPLY, v3ReplyBody } from './onion-codec';

export type OnionVersion = 'v3' | 'v4';

/** What the gateway route sends: outer 400 (plain text) or outer 200 with the encrypted reply. */
export type OnionRefusal = { ok: false; reason: string };
export type OnionOutcome = { ok: true; payload: Buffer | string } | OnionRefusal;

/** Why a frame was refused: the metrics label (bounded) and the plain-text reason sent back. */
type Refusal = [label: string, reason: string];

/**
 * Onion requests as SOGS receives them (protocol §4): cheap frame checks first, then X25519 and the
 * decrypt; every error of the inner request travels encrypted with outer status 200 (protocol §11:
 * any other outer status makes clients drop the path).
 */
@Injectable()
export class OnionGatewayService {
  constructor(
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    private readonly router: InnerRouter,
    private readonly metrics: MetricsService,
  ) {}

  /** An outer 400, counted by reason. */
  refuse([label, reason]: Refusal): OnionRefusal {
    this.metrics.onionDecryptFailures.inc({ reason: label });
    return { ok: false, reason };
  }

  /** `log`: the outer request's logger, for the inner request's line. */
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
      const inner = decodeV4Request(plaintext);
      const reply = inner ? encodeV4Reply(await this.router.handle(inner, log)) : INVALID_V4_REPLY;
      return { ok: true, payload: onionEncrypt(encType, key, reply) };
    }
    const inner = decodeV3Request(plaintext);
    let reply = INVALID_V3_REPLY;
    if (inner) {
      const res = await this.router.handle(inner, log);
      reply = v3ReplyBody(res.code, res.body);
    }
    // v3 replies travel base64-encoded (protocol §4.6).
    return { ok: true, payload: onionEncrypt(encType, key, reply).toString('base64') };
  }
}
