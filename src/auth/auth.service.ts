import { HttpException, Inject, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { Clock } from '../core/clock';
import { blake2b512, bytesToHex, sogsSignedMessage, toBuffer, verifyEd25519Strict } from '../crypto';
import { UsersService } from '../users/users.service';
import { MetricsService } from '../metrics/metrics.service';
import { AuthFailure, parseAuthHeaders, TOO_EARLY, type SogsCredentials } from './auth-headers';
import { AuthStore } from './auth.store';
import { RateLimitedException, RateLimiter } from '../rate-limit/rate-limiter';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { SignedRequestInfo } from './auth.types';

/** Nonces outlive every timestamp that could still be accepted with them, plus clock slack. */
const NONCE_TTL_MARGIN = 300;

/** The parts of a request that authentication reads. */
export interface AuthRequest {
  method: string;
  /** Request target (path and query) exactly as the client signed it (protocol §3.3). */
  target: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer;
  /** A read: its retry runs again, so no reply is kept for it (see RetryReplies). */
  readOnly: boolean;
}

/** Who signed a request, and what the reply keeper needs to know of the signature. */
export interface Authentication {
  /** null: anonymous (no X-SOGS-* headers). */
  user: AuthenticatedUser | null;
  /** Set for a signed request whose nonce this request spent. */
  signed?: SignedRequestInfo;
}

/** Request authentication of protocol §3.2 (steps 10–13 and the rate limits; 1–9 in auth-headers.ts). */
@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    private readonly users: UsersService,
    private readonly store: AuthStore,
    private readonly limiter: RateLimiter,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

  /**
   * A nonce must be remembered for as long as its timestamp could still be accepted: until
   * timestamp + window. Keying the TTL on the request's own timestamp (not a flat 2 × window)
   * halves what Redis holds for clients with correct clocks.
   */
  private nonceTtl(timestamp: string): number {
    const acceptableUntil = Number(timestamp) + this.config.AUTH_TIMESTAMP_WINDOW;
    return Math.max(1, Math.ceil(acceptableUntil - this.clock.seconds())) + NONCE_TTL_MARGIN;
  }

  /**
   * The user a request is signed by (null when it carries no X-SOGS-* headers) and its nonce.
   * Throws the exact errors of protocol §3.2; a refusal after the nonce was spent carries it (`signed`): a retry of a signed write is a 425 whose `signed.retry` is set, answered with the original's kept reply where there is one.
   */
  async authenticate(req: AuthRequest): Promise<Authentication> {
    try {
      return await this.verify(req);
    } catch (err) {
      // A retry about to be answered with its kept reply is not a failure.
      if (err instanceof AuthFailure && !err.signed?.retry) this.metrics.authFailures.inc({ reason: err.reason });
      else if (err instanceof RateLimitedException) this.metrics.authFailures.inc({ reason: err.rule === 'authfail' ? 'failure_rate_limited' : 'rate_limited' });
      throw err;
    }
  }

  private async verify(req: AuthRequest): Promise<Authentication> {
    const creds = parseAuthHeaders(req.headers, {
      requireBlindKeys: this.config.REQUIRE_BLIND_KEYS,
      window: this.config.AUTH_TIMESTAMP_WINDOW,
      nowSeconds: this.clock.seconds(),
    });
    if (!creds) return { user: null };
    // Verification comes first and is never refused: whoever knows a user's (public) id could
    // otherwise lock them out (issue 19 item 5). Only failures count, and only they are throttled.
    if (!this.signatureValid(creds, req)) {
      await this.dependency(() => this.limiter.consume('authfail', bytesToHex(creds.key)));
      throw new AuthFailure('bad_signature', 401, 'Invalid authentication: X-SOGS-Signature verification failed');
    }

    // Only now, with a verified signature, may the nonce be spent and the user row be touched.
    const nonceHex = bytesToHex(creds.nonce);
    const fingerprint = requestFingerprint(creds);
    const user = await this.dependency(() => this.users.getOrCreateAuthenticated(creds.sessionId));
    // Per user row: a blinded key and its negated twin share one budget (issue 19 item 7). Taken by
    // the nonce claim's own script (one Redis round trip per request), and only from a request that
    // runs and whose user is not banned.
    const limits = this.limiter.scripted(user.banned ? [] : [{ rule: 'user', subject: String(user.id) }]);
    const { claim, runs, refusal } = await this.dependency(() =>
      this.store.claimNonce(nonceHex, fingerprint, this.nonceTtl(creds.timestamp), this.config.RETRY_REPLY_WINDOW, req.readOnly, limits.windows),
    );
    // A retry of a read (within RETRY_REPLY_WINDOW) runs again: reading twice is what a kept reply would stand for.
    if (!runs) {
      // A write's retry is answered with the original's kept reply where there is one, else this 425.
      const retry: SignedRequestInfo | undefined = claim === 'retry' ? { nonceHex, retry: true } : undefined;
      throw new AuthFailure('nonce_reused', TOO_EARLY, 'Invalid authentication: X-SOGS-Nonce cannot be reused', retry);
    }
    const signed: SignedRequestInfo = { nonceHex, retry: false };
    if (user.banned) throw new AuthFailure('banned', 403, 'Banned', signed);
    await limits.settle(refusal);
    return { user, signed };
  }

  private signatureValid(creds: SogsCredentials, req: AuthRequest): boolean {
    const target = req.target;
    const q = target.indexOf('?');
    const body = req.body;
    const message = sogsSignedMessage({
      serverPubkey: this.serverKey.publicKey,
      nonce: creds.nonce,
      timestamp: creds.timestamp,
      method: req.method,
      path: q < 0 ? target : target.slice(0, q),
      query: q < 0 ? '' : target.slice(q + 1),
      body,
    });
    return verifyEd25519Strict(creds.signature, message, creds.key);
  }

  /** Redis or the database unreachable → 503 with a reason rather than a bare 500. */
  private async dependency<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HttpException) throw err;
      this.logger.error(`authentication store failed: ${(err as Error).message}`);
      throw new ServiceUnavailableException('Authentication is temporarily unavailable; try again later');
    }
  }
}

/**
 * Identifies a signed request for the retry check. The signature was verified over nonce,
 * timestamp, method, path, query and body hash, so pubkey + signature pin all of them.
 */
function requestFingerprint(creds: SogsCredentials): Buffer {
  return toBuffer(blake2b512(Buffer.concat([creds.key, creds.signature]))).subarray(0, 16);
}
