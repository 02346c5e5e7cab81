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

// Rolling window at constant cost (issue 15 quotas of a day): counters of consecutive windows
// KEYS[1]:<window number>; the points used are the current window's plus the previous one's
// weighted by how much of it still lies within one window of now (the usual sliding-window
// estimate, exact when points arrive evenly). KEYS: counter prefix. ARGV: points, limit, window ms.
const ROLLING_CONSUME = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local points = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local slot = math.floor(now / window)
local cur = KEYS[1] .. ':' .. slot
local c = tonumber(redis.call('GET', cur) or '0')
local p = tonumber(redis.call('GET', KEYS[1] .. ':' .. (slot - 1)) or '0')
local weight = 1 - (now - slot * window) / window
local used = math.ceil(p * weight + c)
if points > limit then return {0, used, -1} end
if used + points > limit then
  local retry = (slot + 1) * window - now
  if p > 0 and limit - c - points >= 0 then retry = math.ceil((weight - (limit - c - points) / p) * window) end
  return {0, used, math.max(retry, 1)}
end
redis.call('INCRBY', cur, points)
redis.call('PEXPIRE', cur, window * 2)
return {1, used + points, 0}`;

// Gives points back to the current window's counter (never below zero): refunds follow their
// consumption within a request. KEYS: counter prefix. ARGV: points, window ms.
const ROLLING_REFUND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cur = KEYS[1] .. ':' .. math.floor(now / tonumber(ARGV[2]))
local used = tonumber(redis.call('GET', cur) or '0')
if used <= 0 then return 0 end
return redis.call('DECRBY', cur, math.min(used, tonumber(ARGV[1])))`;

type Outcome = [allowed: number, used: number, retryMs: number];

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext> {
    scsRateFixed(key: string, points: number, limit: number, windowMs: number): Result<Outcome, Context>;
    scsRateFixedRefund(key: string, points: number): Result<number, Context>;
    scsRateSliding(key: string, points: number, limit: number, windowMs: number, member: string): Result<Outcome, Context>;
    scsRateRolling(key: string, points: number, limit: number, windowMs: number): Result<Outcome, Context>;
    scsRateRollingRefund(key: string, points: number, windowMs: number): Result<number, Context>;
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
export type StoredPlace =
  | { window: 'fixed'; key: string; points: number }
  | { window: 'sliding'; key: string; points: number; member: string }
  | { window: 'rolling'; key: string; points: number; windowMs: number };

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
    redis.client.defineCommand('scsRateRolling', { numberOfKeys: 1, lua: ROLLING_CONSUME });
    redis.client.defineCommand('scsRateRollingRefund', { numberOfKeys: 1, lua: ROLLING_REFUND });
  }

  /** The rule's name stays readable (what is limited); who is limited is a pseudonym. */
  key(rule: string, subject: string): string {
    return this.redis.key('rl', rule, this.redis.pseudonym(subject));
  }

  /** Records `place` unless that would pass `limit` points in the window. */
  async consume(place: StoredPlace, limit: number, windowMs: number): Promise<ConsumeOutcome> {
    const client = this.redis.client;
    switch (place.window) {
      case 'fixed':
        return outcome(await client.scsRateFixed(place.key, place.points, limit, windowMs));
      case 'sliding':
        return outcome(await client.scsRateSliding(place.key, place.points, limit, windowMs, place.member));
      case 'rolling':
        return outcome(await client.scsRateRolling(place.key, place.points, limit, windowMs));
    }
  }

  async refund(place: StoredPlace): Promise<void> {
    switch (place.window) {
      case 'fixed':
        return void (await this.redis.client.scsRateFixedRefund(place.key, place.points));
      case 'sliding':
        return void (await this.redis.client.zrem(place.key, place.member));
      case 'rolling':
        return void (await this.redis.client.scsRateRollingRefund(place.key, place.points, place.windowMs));
    }
  }
}

function outcome([allowed, used, retryMs]: Outcome): ConsumeOutcome {
  return { allowed: allowed === 1, used, retryMs: retryMs < 0 ? null : retryMs };
}
