import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import badwords from 'badwords-list';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { RedisService } from '../redis/redis.service';
import { alphabetHit, profanityMatcher, sessionText } from './message-filter';

// Sliding window on the Redis server's clock (so replicas with skewed clocks agree): drop entries
// older than the window, refuse at the limit, else record this post. One atomic script.
const RATE_LIMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 1`;

export const RATE_LIMITED = 'Rate limited';

/** One post's entry in the sliding window of its user and room. */
export interface RateLimitSlot {
  key: string;
  member: string;
}

/** Posting rules of spec §9.2: the per-room rate limit (in Redis, shared by replicas) and the filters. */
@Injectable()
export class PostRules {
  private readonly profane: ((text: string) => boolean) | null;
  private readonly alphabets: string[];

  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const words = config.PROFANITY_CUSTOM ? readFileSync(config.PROFANITY_CUSTOM, 'utf8').split(/\r?\n/) : (badwords.array as string[]);
    this.profane = config.PROFANITY_FILTER ? profanityMatcher(words) : null;
    this.alphabets = config.ALPHABET_FILTERS.split(/[\s,]+/).filter(Boolean);
  }

  /**
   * 429 `Rate limited` once the user posted RATE_LIMIT_POSTS times in the room within the window;
   * else the post's place in the window (null when there is no limit).
   */
  async enforceRateLimit(roomId: number, userId: number): Promise<RateLimitSlot | null> {
    if (this.config.RATE_LIMIT_POSTS === 0) return null;
    const windowMs = Math.max(1, Math.round(this.config.RATE_LIMIT_WINDOW * 1000));
    const slot = { key: this.redis.key('post-rate', String(roomId), String(userId)), member: randomBytes(8).toString('hex') };
    const allowed = await this.redis.client.eval(RATE_LIMIT_SCRIPT, 1, slot.key, windowMs, this.config.RATE_LIMIT_POSTS, slot.member);
    if (allowed !== 1) throw new HttpException(RATE_LIMITED, HttpStatus.TOO_MANY_REQUESTS);
    return slot;
  }

  /** Gives a place back: the post it was taken for stored nothing (a repeat, or refused after the check). */
  async releaseRateLimitSlot(slot: RateLimitSlot): Promise<void> {
    await this.redis.client.zrem(slot.key, slot.member);
  }

  /**
   * Applies the configured filters (moderators exempt unless FILTER_MODS). Returns true when the
   * message is to be stored silently filtered; a non-silent filter rejects with 429.
   */
  isFiltered(data: Uint8Array, moderator: boolean): boolean {
    if ((!this.profane && this.alphabets.length === 0) || (moderator && !this.config.FILTER_MODS)) return false;
    const { body, displayName } = sessionText(data);
    if (this.alphabets.length && alphabetHit(`${body}\n${displayName}`, this.alphabets)) {
      if (!this.config.ALPHABET_SILENT) throw new HttpException('filtration rejected message (alphabet)', HttpStatus.TOO_MANY_REQUESTS);
      return true;
    }
    if (this.profane && (this.profane(body) || this.profane(displayName))) {
      if (!this.config.PROFANITY_SILENT) throw new HttpException('filtration rejected message (profanity)', HttpStatus.TOO_MANY_REQUESTS);
      return true;
    }
    return false;
  }
}
