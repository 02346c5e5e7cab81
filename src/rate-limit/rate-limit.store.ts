import { Injectable } from '@nestjs/common';
import type { ClientContext, Result } from 'ioredis';
import { RedisService } from '../redis/redis.service';

// Every script reads the Redis server's clock (TIME) or lets Redis expire keys, so replicas with
// skewed clocks agree. Each returns {allowed 1|0, points used in the window, ms until a refused
// consumption could fit (0 when allowed, -1 when it never can)}.

// Fixed window beginning at the first point: one counter per subject, expiring with its window.
// KEYS: counter. ARGV: points, limit, window ms. A refusal charges nothing.
const FIXED_CONSUME = `
local points = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if points > limit then return {0, used, -1} end
if used + points > limit then return {0, used, math.max(redis.call('PTTL', KEYS[1]), 1)} end
used = redis.call('INCRBY', KEYS[1], points)
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, used, 0}`;

// Gives points back to a counter that still exists (never below zero, never recreating one).
// KEYS: counter. ARGV: points.
const FIXED_REFUND = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used <= 0 then return 0 end
return redis.call('DECRBY', KEYS[1], math.min(used, tonumber(ARGV[1])))`;

// Sliding window: a log entry per consumption, member '<points>:<id>', scored by time; at most
// `limit` points in any window. Its cost grows with the entries, so it serves small limits.
// KEYS: log. ARGV: points, limit, window ms, member.
const SLIDING_CONSUME = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local points = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do used = used + tonumber(string.match(entries[i], '^%d+')) end
if points > limit then return {0, used, -1} end
if used + points > limit then
  local left = used
  for i = 1, #entries, 2 do
    left = left - tonumber(string.match(entries[i], '^%d+'))
    if left + points <= limit then return {0, used, math.max(tonumber(entries[i + 1]) + window - now, 1)} end
  end
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {1, used + points, 0}`;

type Outcome = [allowed: number, used: number, retryMs: number];

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext> {
    scsRateFixed(key: string, points: number, limit: number, windowMs: number): Result<Outcome, Context>;
    scsRateFixedRefund(key: string, points: number): Result<number, Context>;
    scsRateSliding(key: string, points: number, limit: number, windowMs: number, member: string): Result<Outcome, Context>;
  }
}

/** What one consumption did: taken or not, the points now used, and when a refused one could fit. */
export interface ConsumeOutcome {
  allowed: boolean;
  used: number;
  /** Milliseconds until the refused points could be taken; null when they never can (more than the limit). */
  retryMs: number | null;
}

/** Where a consumption was recorded, so exactly it can be given back. */
export type StoredPlace = { window: 'fixed'; key: string; points: number } | { window: 'sliding'; key: string; points: number; member: string };

/**
 * Redis I/O of the rate limiter: atomic Lua scripts registered with ioredis `defineCommand` (sent
 * as EVALSHA, reloaded by ioredis when Redis has forgotten them). Redis is shared by every replica,
 * so a limit holds across all of them.
 */
@Injectable()
export class RateLimitStore {
  constructor(private readonly redis: RedisService) {
    redis.client.defineCommand('scsRateFixed', { numberOfKeys: 1, lua: FIXED_CONSUME });
    redis.client.defineCommand('scsRateFixedRefund', { numberOfKeys: 1, lua: FIXED_REFUND });
    redis.client.defineCommand('scsRateSliding', { numberOfKeys: 1, lua: SLIDING_CONSUME });
  }

  /** The rule's name stays readable (what is limited); who is limited is a pseudonym. */
  key(rule: string, subject: string): string {
    return this.redis.key('rl', rule, this.redis.pseudonym(subject));
  }

  /** Records `place` unless that would pass `limit` points in the window. */
  async consume(place: StoredPlace, limit: number, windowMs: number): Promise<ConsumeOutcome> {
    const client = this.redis.client;
    return outcome(
      place.window === 'fixed'
        ? await client.scsRateFixed(place.key, place.points, limit, windowMs)
        : await client.scsRateSliding(place.key, place.points, limit, windowMs, place.member),
    );
  }

  async refund(place: StoredPlace): Promise<void> {
    if (place.window === 'fixed') await this.redis.client.scsRateFixedRefund(place.key, place.points);
    else await this.redis.client.zrem(place.key, place.member);
  }
}

function outcome([allowed, used, retryMs]: Outcome): ConsumeOutcome {
  return { allowed: allowed === 1, used, retryMs: retryMs < 0 ? null : retryMs };
}
