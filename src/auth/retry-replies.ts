import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { AuthStore } from './auth.store';
import type { SignedRequestInfo } from './auth.types';

/**
 * Retry-safe replies (issue 9 item 5): Session desktop re-sends a failed onion request with the
 * same X-SOGS headers. The first run's reply is kept for RETRY_REPLY_WINDOW so the retry gets it
 * back without the request running twice. The reply is opaque bytes here (the gateway's encoding);
 * only someone holding the new request's onion key can read it.
 */
@Injectable()
export class RetryReplies {
  private readonly logger = new Logger('RetryReplies');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: AuthStore,
  ) {}

  /**
   * Called once the original request has its reply. A server-side failure (5xx) frees the nonce
   * instead, so the retry runs again rather than replaying the failure. Not awaited by callers:
   * a retry still waiting sees the reply as soon as it lands.
   */
  async settle(signed: SignedRequestInfo, status: number, reply: Buffer): Promise<void> {
    try {
      if (status >= 500) await this.store.release(signed.nonceHex);
      else if (this.config.RETRY_REPLY_WINDOW > 0) {
        const keep = reply.length <= this.config.RETRY_REPLY_MAX_BYTES ? reply : null;
        await this.store.keepReply(signed.nonceHex, keep, this.config.RETRY_REPLY_WINDOW);
      }
    } catch (err) {
      this.logger.warn(`could not keep a reply for retries: ${(err as Error).message}`);
    }
  }

  /**
   * The original reply of a retried request, waiting (bounded by RETRY_REPLY_WAIT) while the
   * original is still running; null when there is none to give (too large, expired, or the wait
   * ran out), in which case the retry keeps its 425.
   */
  async original(signed: SignedRequestInfo): Promise<Buffer | null> {
    const deadline = Date.now() + this.config.RETRY_REPLY_WAIT * 1000;
    let delay = 20;
    for (;;) {
      const kept = await this.store.readReply(signed.nonceHex).catch(() => null);
      if (kept?.state === 'kept') return kept.reply;
      if (kept?.state !== 'pending' || Date.now() + delay > deadline) return null;
      await sleep(delay);
      delay = Math.min(delay * 2, 250);
    }
  }
}
