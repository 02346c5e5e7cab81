import { Injectable } from '@nestjs/common';
import type { ClientContext, Result } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisService } from '../redis/redis.service';

// A plugin's shared state (docs/plugins.md "State"): plain Redis values, counters and windowed
// lists, so every process and replica running the plugin sees the same. TTLs and windows follow
// the Redis server's clock (TIME, key expiry), as the rate limits do, so skewed replicas agree.

// A counter whose TTL starts when it is created (a fixed window). KEYS: counter. ARGV: by, ttl ms.
const INCR = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

// A list of entries scored by the time they were added, '<random>:<value>': drops those older than
// the window and the oldest beyond the cap, adds one, returns what is left (oldest first).
// KEYS: list. ARGV: window ms, cap, member.
const APPEND = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[3])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
redis.call('PEXPIRE', KEYS[1], window)
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')`;

// The entries of the last window, oldest first. KEYS: list. ARGV: window ms.
const RECENT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf', 'WITHSCORES')`;

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext> {
    scsStateIncr(key: string, by: number, ttlMs: number): Result<number, Context>;
    scsStateAppend(key: string, windowMs: number, cap: number, member: string): Result<string[], Context>;
    scsStateRecent(key: string, windowMs: number): Result<string[], Context>;
  }
}

/** One entry of a windowed list: when it was added (unix seconds, Redis's clock) and its JSON. */
export interface StoredEntry {
  at: number;
  json: string;
}

/** Redis I/O of plugin state; values are JSON text, keys built by the caller (redisKey 'pstate'). */
@Injectable()
export class PluginStateStore {
  constructor(private readonly redis: RedisService) {
    redis.client.defineCommand('scsStateIncr', { numberOfKeys: 1, lua: INCR });
    redis.client.defineCommand('scsStateAppend', { numberOfKeys: 1, lua: APPEND });
    redis.client.defineCommand('scsStateRecent', { numberOfKeys: 1, lua: RECENT });
  }

  get(key: string): Promise<string | null> {
    return this.redis.client.get(key);
  }

  async set(key: string, json: string, ttlMs: number): Promise<void> {
    await this.redis.client.set(key, json, 'PX', ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.client.del(key)) > 0;
  }

  incr(key: string, by: number, ttlMs: number): Promise<number> {
    return this.redis.client.scsStateIncr(key, by, ttlMs);
  }

  async append(key: string, json: string, windowMs: number, cap: number): Promise<StoredEntry[]> {
    // The random part keeps equal values apart (a sorted set holds each member once).
    return entries(await this.redis.client.scsStateAppend(key, windowMs, cap, `${randomBytes(6).toString('hex')}:${json}`));
  }

  async recent(key: string, windowMs: number): Promise<StoredEntry[]> {
    return entries(await this.redis.client.scsStateRecent(key, windowMs));
  }
}

/** ZRANGE … WITHSCORES: member, score, member, score… */
function entries(flat: string[]): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ at: Number(flat[i + 1]) / 1000, json: flat[i].slice(flat[i].indexOf(':') + 1) });
  return out;
}
