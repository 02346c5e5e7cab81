import { Injectable } from '@nestjs/common';
import type { ClientContext, Result } from 'ioredis';
import { RedisService } from '../redis/redis.service';

// Every script reads the Redis server's clock (TIME) or lets Redis expire keys, so replicas with
// skewed clocks agree.

// The windows of one action, checked and taken in one script, so atomically and in one round trip:
// each window is checked in order and the first that refuses is answered, {its 1-based index, ms
// until the refused points could fit (-1 when they never can)}, with nothing taken in any window;
// when all allow, a place is taken in each and {0, 0} answered. The checks see no write of the
// script, so the windows are distinct keys (one per rule and subject).
// consume_windows(keys, argv): one key per window; five argv per window: kind, points, limit,
// window ms, sliding log member.
//  fixed: one counter per subject, expiring with a window beginning at its first point.
//  sliding: a log entry per consumption, member '<points>:<id>', scored by time; at most `limit`
//    points in any window. Its cost grows with the entries, so it serves small limits.
//  rolling (issue 15 quotas of a day): counters of consecutive windows KEYS[i]:<window number>; the
//    points used are the current window's plus the previous one's weighted by how much of it still
//    lies within one window of now (the usual sliding-window estimate, exact when points arrive evenly).
// A function, so another script can take an action's windows in its own round trip (the nonce
// claim takes the user's, src/auth/auth.store.ts).
export const CONSUME_FUNCTION = `
local function points_of(entry) return tonumber(string.match(entry, '^%d+')) end
local function refusal(now, kind, key, points, limit, window)
  if kind == 'fixed' then
    local used = tonumber(redis.call('GET', key) or '0')
    if points > limit then return -1 end
    if used + points > limit then return math.max(redis.call('PTTL', key), 1) end
  elseif kind == 'sliding' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    local used = 0
    for j = 1, #entries, 2 do used = used + points_of(entries[j]) end
    if points > limit then return -1 end
    if used + points > limit then
      local left = used
      for j = 1, #entries, 2 do
        left = left - points_of(entries[j])
        if left + points <= limit then return math.max(tonumber(entries[j + 1]) + window - now, 1) end
      end
    end
  else
    local slot = math.floor(now / window)
    local c = tonumber(redis.call('GET', key .. ':' .. slot) or '0')
    local p = tonumber(redis.call('GET', key .. ':' .. (slot - 1)) or '0')
    local weight = 1 - (now - slot * window) / window
    local used = math.ceil(p * weight + c)
    if points > limit then return -1 end
    if used + points > limit then
      local retry = (slot + 1) * window - now
      if p > 0 and limit - c - points >= 0 then retry = math.ceil((weight - (limit - c - points) / p) * window) end
      return math.max(retry, 1)
    end
  end
  return nil
end
local function consume_windows(keys, argv)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  for i = 1, #keys do
    local a = (i - 1) * 5
    local retry = refusal(now, argv[a + 1], keys[i], tonumber(argv[a + 2]), tonumber(argv[a + 3]), tonumber(argv[a + 4]))
    if retry then return {i, retry} end
  end
  for i = 1, #keys do
    local a = (i - 1) * 5
    local kind, key, points, window = argv[a + 1], keys[i], tonumber(argv[a + 2]), tonumber(argv[a + 4])
    if kind == 'fixed' then
      redis.call('INCRBY', key, points)
      if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
    elseif kind == 'sliding' then
      redis.call('ZADD', key, now, argv[a + 5])
      redis.call('PEXPIRE', key, window)
    else
      local cur = key .. ':' .. math.floor(now / window)
      redis.call('INCRBY', cur, points)
      redis.call('PEXPIRE', cur, window * 2)
    end
  end
  return {0, 0}
end`;

const CONSUME = `${CONSUME_FUNCTION}
return consume_windows(KEYS, ARGV)`;

// Gives points back to a counter that still exists (never below zero, never recreating one).
// KEYS: counter. ARGV: points.
const FIXED_REFUND = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used <= 0 then return 0 end
return redis.call('DECRBY', KEYS[1], math.min(used, tonumber(ARGV[1])))`;

// Gives points back to the current window's counter (never below zero): refunds follow their
// consumption within a request. KEYS: counter prefix. ARGV: points, window ms.
const ROLLING_REFUND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cur = KEYS[1] .. ':' .. math.floor(now / tonumber(ARGV[2]))
local used = tonumber(redis.call('GET', cur) or '0')
if used <= 0 then return 0 end
return redis.call('DECRBY', cur, math.min(used, tonumber(ARGV[1])))`;

/** What consume_windows returns: the refusing window's 1-based index (0: none refused), and its retry ms (-1: never). */
export type ConsumeReply = [refused: number, retryMs: number];

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext> {
    scsRateConsume(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Result<ConsumeReply, Context>;
    scsRateFixedRefund(key: string, points: number): Result<number, Context>;
    scsRateRollingRefund(key: string, points: number, windowMs: number): Result<number, Context>;
  }
}

/** Where a consumption is recorded, so exactly it can be given back. */
export type StoredPlace =
  | { window: 'fixed'; key: string; points: number }
  | { window: 'sliding'; key: string; points: number; member: string }
  | { window: 'rolling'; key: string; points: number; windowMs: number };

/** One window of an action: its place, and the window's limit in points and length. */
export interface StoredTake {
  place: StoredPlace;
  limit: number;
  windowMs: number;
}

/** The window that refused an action (index in its takes), and in how many ms the points could fit; null: never (more than the limit). */
export interface StoredRefusal {
  index: number;
  retryMs: number | null;
}

/**
 * Redis I/O of the rate limiter: atomic Lua scripts registered with ioredis `defineCommand` (sent
 * as EVALSHA, reloaded by ioredis when Redis has forgotten them). Redis is shared by every replica,
 * so a limit holds across all of them.
 */
@Injectable()
export class RateLimitStore {
  constructor(private readonly redis: RedisService) {
    // KEYS vary in number (an action's windows): given with each call.
    redis.client.defineCommand('scsRateConsume', { lua: CONSUME });
    redis.client.defineCommand('scsRateFixedRefund', { numberOfKeys: 1, lua: FIXED_REFUND });
    redis.client.defineCommand('scsRateRollingRefund', { numberOfKeys: 1, lua: ROLLING_REFUND });
  }

  /** The rule's name stays readable (what is limited); who is limited is a pseudonym. */
  key(rule: string, subject: string): string {
    return this.redis.key('rl', rule, this.redis.pseudonym(subject));
  }

  /**
   * Records every place of `takes` (distinct keys) unless one of them would pass its window's limit:
   * then records none and answers the first that would. One round trip.
   */
  async consume(takes: readonly StoredTake[]): Promise<StoredRefusal | null> {
    if (takes.length === 0) return null;
    const { keys, args } = windowsOf(takes);
    return refusalOf(await this.redis.client.scsRateConsume(takes.length, ...keys, ...args));
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

/** The KEYS and ARGV of consume_windows for `takes`. */
export function windowsOf(takes: readonly StoredTake[]): { keys: string[]; args: Array<string | number> } {
  return {
    keys: takes.map((t) => t.place.key),
    args: takes.flatMap(({ place, limit, windowMs }) => [place.window, place.points, limit, windowMs, place.window === 'sliding' ? place.member : '']),
  };
}

/** consume_windows' reply: the window that refused, or null when all were taken. */
export function refusalOf([refused, retryMs]: ConsumeReply): StoredRefusal | null {
  return refused === 0 ? null : { index: refused - 1, retryMs: retryMs < 0 ? null : retryMs };
}
