import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditService } from '../../../src/audit/audit.service';
import { loadConfig, type AppConfig } from '../../../src/config/config';
import { loadOrCreateServerKey } from '../../../src/config/server-key';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { RateLimiter } from '../../../src/rate-limit/rate-limiter';
import { RateLimitStore } from '../../../src/rate-limit/rate-limit.store';
import { deleteRedisKeys } from '../../../src/redis/delete-keys';
import { RedisService } from '../../../src/redis/redis.service';
import { REDIS_URL } from '../../support/db';

// These tests are about the store's windows; which refusals are audit-logged is the unit tests' subject.
const noRefusalAudit = { recordRefusal: async () => undefined } as unknown as AuditService;

// The limiter's Lua scripts on real Redis: the fixed counter, the sliding log, refunds, Retry-After.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RateLimiter on Redis', () => {
  const prefix = `scs-test:rl:${randomBytes(4).toString('hex')}:`;
  const redises: RedisService[] = [];
  // Any key: the pseudonyms in rate-limit keys only need one secret shared by the limiters of a test.
  const serverKey = loadOrCreateServerKey(join(mkdtempSync(join(tmpdir(), 'scs-rl-')), 'key_x25519'));
  const limiter = async (config: Partial<AppConfig>) => {
    const full = loadConfig({}, { DATABASE_URL: 'postgresql://unused', REDIS_URL, REDIS_PREFIX: prefix, ...config });
    const redis = new RedisService(full, serverKey);
    redises.push(redis);
    if (redis.client.status !== 'ready') await new Promise((r) => redis.client.once('ready', r));
    return new RateLimiter(full, new RateLimitStore(redis), new MetricsService(), noRefusalAudit);
  };
  const subject = () => randomBytes(4).toString('hex');
  afterAll(async () => {
    for (const redis of redises) await redis.onModuleDestroy();
    await deleteRedisKeys(REDIS_URL, `${prefix}*`);
  });

  it('fixed window: the limit in points, a refusal charges nothing and says when, refunds give back', async () => {
    const quota = await limiter({ UPLOAD_QUOTA_BYTES: 1000, UPLOAD_QUOTA_WINDOW: 60 });
    const user = subject();
    await quota.consume('upload-bytes', user, 600);
    const refused = await quota.consume('upload-bytes', user, 500).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 429, retryAfter: expect.any(Number) });
    expect((refused as { retryAfter: number }).retryAfter).toBeGreaterThan(0);
    expect((refused as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(60);
    const place = await quota.consume('upload-bytes', user, 400);
    await expect(quota.consume('upload-bytes', user, 1)).rejects.toMatchObject({ status: 429 });
    await quota.refund(place);
    await quota.consume('upload-bytes', user, 400);
    // Other subjects have their own counters; more than the whole limit never fits.
    await quota.consume('upload-bytes', subject(), 1000);
    await expect(quota.consume('upload-bytes', subject(), 1001)).rejects.toMatchObject({ retryAfter: null });
  });

  it('fixed window: starts at the first point and ends with it; a late refund never creates a counter', async () => {
    const dms = await limiter({ DM_RATE_LIMIT: 2, DM_RATE_WINDOW: 1 });
    const user = subject();
    const first = await dms.consume('dm', user);
    await dms.consume('dm', user);
    await expect(dms.consume('dm', user)).rejects.toMatchObject({ retryAfter: 1 });
    await sleep(1100);
    await dms.refund(first); // its window is gone: nothing to give back, and no counter without expiry
    expect(await redises.at(-1)!.client.exists(`${prefix}rl:dm:${user}`)).toBe(0);
    await dms.consume('dm', user);
    await dms.consume('dm', user);
    await expect(dms.consume('dm', user)).rejects.toMatchObject({ status: 429 });
  });

  it('sliding window: at most the limit in any window, places free one by one, a refund frees exactly its own', async () => {
    const posts = await limiter({ RATE_LIMIT_POSTS: 2, RATE_LIMIT_WINDOW: 1.5 });
    const user = subject();
    const first = await posts.consume('post', user);
    await sleep(700);
    const second = await posts.consume('post', user);
    const refused = await posts.consume('post', user).catch((e: unknown) => e);
    // Retry-After is when the oldest post leaves the window (≈ 0.8 s: rounds up to 1).
    expect(refused).toMatchObject({ status: 429, message: 'Rate limited', retryAfter: 1 });
    await posts.refund(second);
    const third = await posts.consume('post', user);
    await expect(posts.consume('post', user)).rejects.toMatchObject({ status: 429 });
    await sleep(900); // the first has left the window, the third has not: one place, not two
    await posts.consume('post', user);
    await expect(posts.consume('post', user)).rejects.toMatchObject({ status: 429 });
    expect(first).not.toEqual(third);
  });

  it('rolling window: a refusal says when, a refund gives back, the previous window still counts in part', async () => {
    const limits = await limiter({});
    const user = subject();
    const quota = { points: 4, windowSeconds: 1, window: 'rolling', refusal: 'Quota exceeded' } as const;
    const take = (points: number) => limits.consumeAll([{ rule: 'room-posts', limit: quota, subject: user, points }]);
    const [three] = await take(3);
    const refused = await take(2).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 429, message: 'Quota exceeded', retryAfter: 1 });
    await limits.refund(three);
    await take(4);
    await expect(take(1)).rejects.toMatchObject({ status: 429 });
    await expect(take(5)).rejects.toMatchObject({ retryAfter: null });
    // Two windows later neither counter is within one window of now.
    await sleep(2100);
    await take(4);
  });

  it('consumeAll: a refusal in the 2nd window leaves the 1st untouched (never taken, not taken and given back)', async () => {
    const limits = await limiter({ DM_RATE_LIMIT: 3, DM_RATE_WINDOW: 60 });
    const redis = redises.at(-1)!;
    const user = subject();
    const quota = { points: 1, windowSeconds: 60, window: 'rolling', refusal: 'Quota exceeded' } as const;
    const takes = [
      { rule: 'dm', subject: user },
      { rule: 'room-posts', limit: quota, subject: user, points: 2 },
    ] as const;
    await expect(limits.consumeAll(takes)).rejects.toMatchObject({ status: 429, rule: 'room-posts', retryAfter: null });
    // A refund would have left a counter at 0 behind; the script never wrote one.
    const dmKey = `${prefix}rl:dm:${redis.pseudonym(user)}`;
    expect(await redis.client.exists(dmKey)).toBe(0);
    await limits.consumeAll([takes[0], { ...takes[1], points: 1 }]);
    expect(await redis.client.get(dmKey)).toBe('1');
    await expect(limits.consumeAll([takes[0], { ...takes[1], points: 1 }])).rejects.toMatchObject({ rule: 'room-posts', retryAfter: expect.any(Number) });
    expect(await redis.client.get(dmKey)).toBe('1');
  });

  it('consumeAll takes every limit or none: a later refusal gives back those already taken', async () => {
    const limits = await limiter({ RATE_LIMIT_POSTS: 5, RATE_LIMIT_WINDOW: 60 });
    const user = subject();
    const slow = { points: 1, windowSeconds: 60, window: 'sliding', refusal: 'Slow mode' } as const;
    const takes = [
      { rule: 'post', subject: user },
      { rule: 'slow-mode', limit: slow, subject: user },
    ] as const;
    await limits.consumeAll(takes);
    await expect(limits.consumeAll(takes)).rejects.toMatchObject({ status: 429, message: 'Slow mode', rule: 'slow-mode' });
    // The refused attempt's 'post' place was given back: four more fit, not three.
    for (let i = 0; i < 4; i++) await limits.consume('post', user);
    await expect(limits.consume('post', user)).rejects.toMatchObject({ status: 429 });
  });
});
