import { HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { AuditService } from '../audit/audit.service';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitStore, type StoredPlace, type StoredRefusal, type StoredTake } from './rate-limit.store';

/**
 * One named limit: at most `points` per window of `windowSeconds` for each subject (0 = off).
 * 'fixed' counts in one counter whose window starts at the subject's first point (cheap at any
 * limit; up to 2 × points can pass around a window's end); 'sliding' holds at most `points` in
 * any window (a log entry per consumption: for small limits); 'rolling' weighs the previous
 * window's counter by how much of it is still within the window (constant cost, for quotas of a day).
 */
export interface RateRule {
  points: number;
  windowSeconds: number;
  window: 'fixed' | 'sliding' | 'rolling';
  /** The reason a refusal answers with (429). */
  refusal: string;
}

/** Every rate limit of the server, by name; the name is also its Redis key part and metric label. */
export function rateRules(config: AppConfig) {
  return {
    // Failed signatures per signing key: throttles only requests whose signature fails (SECURITY.md).
    authfail: {
      points: config.AUTH_FAILURE_LIMIT,
      windowSeconds: config.AUTH_FAILURE_WINDOW,
      window: 'fixed',
      refusal: 'Too many failed authentication attempts for this X-SOGS-Pubkey; try again later',
    },
    user: {
      points: config.USER_RATE_LIMIT,
      windowSeconds: config.USER_RATE_WINDOW,
      window: 'fixed',
      refusal: 'Rate limit exceeded: too many requests from this user; try again later',
    },
    // protocol §9.2: "at most 5 posts per room in any 16-second window", hence sliding.
    post: { points: config.RATE_LIMIT_POSTS, windowSeconds: config.RATE_LIMIT_WINDOW, window: 'sliding', refusal: 'Rate limited' },
    // Issue 15 item 3: posts per user per day in all rooms together, over a rolling day.
    'posts-day': {
      points: config.QUOTA_POSTS_PER_DAY,
      windowSeconds: 86_400,
      window: 'rolling',
      refusal: `Post quota exceeded: at most ${config.QUOTA_POSTS_PER_DAY} posts per day on this server`,
    },
    // Issue 15 item 4: DMs per sender per rolling day.
    'dm-day': {
      points: config.DM_DAILY_LIMIT,
      windowSeconds: 86_400,
      window: 'rolling',
      refusal: `Too many messages: at most ${config.DM_DAILY_LIMIT} direct messages per day`,
    },
    dm: { points: config.DM_RATE_LIMIT, windowSeconds: config.DM_RATE_WINDOW, window: 'fixed', refusal: 'Rate limited' },
    reaction: {
      points: config.REACTION_RATE_LIMIT,
      windowSeconds: config.REACTION_RATE_WINDOW,
      window: 'fixed',
      refusal: `Rate limited: at most ${config.REACTION_RATE_LIMIT} reactions added per ${config.REACTION_RATE_WINDOW} seconds`,
    },
    'upload-bytes': {
      points: config.UPLOAD_QUOTA_BYTES,
      windowSeconds: config.UPLOAD_QUOTA_WINDOW,
      window: 'fixed',
      refusal: `Upload quota exceeded: at most ${config.UPLOAD_QUOTA_BYTES} bytes per ${config.UPLOAD_QUOTA_WINDOW} seconds`,
    },
    // The file server's uploads are anonymous and every client arrives from a service node, so its
    // rate is one budget for the whole server (subject 'all'): uploads handled, and bytes newly stored.
    'file-server-uploads': {
      points: config.FILE_SERVER_UPLOAD_RATE,
      windowSeconds: config.FILE_SERVER_UPLOAD_RATE_WINDOW,
      window: 'fixed',
      refusal: `Too many file uploads on this server: at most ${config.FILE_SERVER_UPLOAD_RATE} per ${config.FILE_SERVER_UPLOAD_RATE_WINDOW} seconds; try again later`,
    },
    'file-server-bytes': {
      points: config.FILE_SERVER_UPLOAD_BYTES_RATE,
      windowSeconds: config.FILE_SERVER_UPLOAD_RATE_WINDOW,
      window: 'fixed',
      refusal: `Too many bytes uploaded to this server: at most ${config.FILE_SERVER_UPLOAD_BYTES_RATE} per ${config.FILE_SERVER_UPLOAD_RATE_WINDOW} seconds; try again later`,
    },
  } satisfies Record<string, RateRule>;
}

export type RateRuleName = keyof ReturnType<typeof rateRules>;

/** Limits a room sets for itself (its policy, src/rooms/content-rules.ts): the rule comes with the room, not from the config. */
export type RoomRateRuleName = 'slow-mode' | 'room-posts' | 'room-upload-bytes' | 'room-reactions';

/** Who a policy rule's refusal is audit-logged against (AuditService.recordRefusal); absent: not audited. */
export interface RefusalAudit {
  room: { id: number; token: string } | null;
  target: string;
}

/** One consumption of `consumeAll`: a server rule by name, or a room's rule with its limit; `audit`: a policy rule's refusal is audit-logged. */
export type RateTake = ({ rule: RateRuleName } | { rule: RoomRateRuleName; limit: RateRule }) & { subject: string; points?: number; audit?: RefusalAudit };

/** A 429 from a rate limit: the rule's reason, and when to try again (seconds; null = never, it is larger than the limit). */
export class RateLimitedException extends HttpException {
  constructor(
    readonly rule: RateRuleName | RoomRateRuleName,
    message: string,
    readonly retryAfter: number | null,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** Points taken by `consume`, for `refund` when the action they paid for did not happen. */
export interface RatePlace {
  readonly stored: StoredPlace;
}

/** Takes another script runs: the windows it takes, and what its refusal (or none) means. */
export interface ScriptedTakes {
  readonly windows: StoredTake[];
  /** The places taken, or the first refusal's RateLimitedException (429). */
  settle(refusal: StoredRefusal | null): Promise<RatePlace[]>;
}

/**
 * The one rate limiter of the server (issue 13): every limit is a rule of `rateRules`, counted in
 * Redis (RateLimitStore) so it holds across replicas. Services consume before the work a limit
 * guards and refund when that work stored nothing.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger('RateLimit');
  private readonly rules: Record<RateRuleName, RateRule>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
    private readonly audit: AuditService,
  ) {
    this.rules = rateRules(config);
  }

  /**
   * Takes `points` of `rule` for `subject`, or throws RateLimitedException (429, nothing taken).
   * Returns where they were recorded, or null when the rule is off.
   */
  async consume(rule: RateRuleName, subject: string, points = 1): Promise<RatePlace | null> {
    const [place] = await this.consumeAll([{ rule, subject, points }]);
    return place ?? null;
  }

  /**
   * Takes every one of `takes` (distinct rules), or none: the first that refuses throws its
   * RateLimitedException and nothing is taken. All windows in one Redis script (RateLimitStore.consume).
   * Returns the places for `refundAll`; a rule that is off has none.
   */
  async consumeAll(takes: readonly RateTake[]): Promise<RatePlace[]> {
    const scripted = this.scripted(takes);
    return scripted.settle(await this.store.consume(scripted.windows));
  }

  /**
   * `takes` for another Redis script to run (the nonce claim: one round trip per request): their
   * windows (RateLimitStore.windowsOf, CONSUME_FUNCTION), and `settle` to answer that script's
   * refusal as `consumeAll` does.
   */
  scripted(takes: readonly RateTake[]): ScriptedTakes {
    const on = takes.flatMap((take) => {
      const r = 'limit' in take ? take.limit : this.rules[take.rule];
      return r.points === 0 ? [] : [{ take, r, stored: this.window(take, r) }];
    });
    return {
      windows: on.map((o) => o.stored),
      settle: async (refusal) => {
        if (refusal) {
          const { take, r } = on[refusal.index];
          this.metrics.rateLimited.inc({ rule: take.rule });
          if (take.audit) await this.audit.recordRefusal(take.rule, take.audit.room, take.audit.target, r.refusal);
          throw new RateLimitedException(take.rule, r.refusal, refusal.retryMs === null ? null : Math.ceil(refusal.retryMs / 1000));
        }
        return on.map((o) => ({ stored: o.stored.place }));
      },
    };
  }

  async refundAll(places: readonly RatePlace[]): Promise<void> {
    await Promise.all(places.map((p) => this.refund(p)));
  }

  /** Where `take` of rule `r` goes in Redis: its key, its points, and for a sliding log its own member. */
  private window(take: RateTake, r: RateRule): StoredTake {
    const points = take.points ?? 1;
    const key = this.store.key(take.rule, take.subject);
    const windowMs = Math.max(1, Math.round(r.windowSeconds * 1000));
    const place: StoredPlace =
      r.window === 'fixed'
        ? { window: 'fixed', key, points }
        : r.window === 'rolling'
          ? { window: 'rolling', key, points, windowMs }
          : { window: 'sliding', key, points, member: `${points}:${randomBytes(8).toString('hex')}` };
    return { place, limit: r.points, windowMs };
  }

  /** Gives back what `consume` took: the action it paid for stored nothing. Best effort (the window ends anyway). */
  async refund(place: RatePlace | null): Promise<void> {
    if (!place) return;
    await this.store.refund(place.stored).catch((err: Error) => this.logger.warn(`rate-limit refund failed: ${err.message}`));
  }
}
