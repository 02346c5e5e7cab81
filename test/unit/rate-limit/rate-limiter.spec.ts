import { loadConfig, type AppConfig } from '../../../src/config/config';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { RateLimitedException, RateLimiter, rateRules } from '../../../src/rate-limit/rate-limiter';
import type { RateLimitStore, StoredPlace, StoredRefusal, StoredTake } from '../../../src/rate-limit/rate-limit.store';
import { fakeAudit, FixedClock } from '../support/fakes';

// The limiter's rules (which rule counts how, what a refusal says, what a refund gives back) with a
// store faked in memory: the Lua scripts themselves run against real Redis in test/integration/rate-limit.
class FakeStore {
  readonly consumed: StoredTake[] = [];
  /** One call's windows per round trip. */
  readonly calls: StoredTake[][] = [];
  readonly refunded: StoredPlace[] = [];
  /** What the next calls answer: null allows. */
  next: StoredRefusal | null = null;
  failRefunds = false;

  key(rule: string, subject: string): string {
    return `rl:${rule}:${subject}`;
  }

  async consume(takes: readonly StoredTake[]): Promise<StoredRefusal | null> {
    this.calls.push([...takes]);
    this.consumed.push(...takes);
    return this.next;
  }

  async refund(place: StoredPlace): Promise<void> {
    if (this.failRefunds) throw new Error('Connection is closed.');
    this.refunded.push(place);
  }
}

function limiterWith(config: Partial<AppConfig>) {
  const store = new FakeStore();
  const metrics = new MetricsService();
  // The fake has the store's public face; its Redis client is what it replaces.
  const full = loadConfig({}, { DATABASE_URL: 'postgresql://unused', ...config });
  const { audit, log } = fakeAudit(new FixedClock(), full);
  const limiter = new RateLimiter(full, store as unknown as RateLimitStore, metrics, audit);
  return { store, metrics, limiter, log };
}

const refusedCount = async (metrics: MetricsService, rule: string) => (await metrics.rateLimited.get()).values.find((v) => v.labels.rule === rule)?.value ?? 0;

describe('RateLimiter rules', () => {
  it("a policy rule's refusal is audit-logged once per rule, room and user; the server's own limits and allowed takes are not", async () => {
    const { store, limiter, log } = limiterWith({ DM_RATE_LIMIT: 2 });
    const audit = { room: { id: 3, token: 'lobby' }, target: `15${'ab'.repeat(32)}` };
    const slow = { points: 1, windowSeconds: 30, window: 'sliding' as const, refusal: 'Slow mode: at most 1 posts per 30 seconds in this room' };
    await limiter.consumeAll([{ rule: 'slow-mode', subject: '3:7', limit: slow, audit }]);
    expect(log.entries).toEqual([]);
    store.next = { index: 0, retryMs: 20_000 };
    for (let i = 0; i < 3; i++) {
      await expect(limiter.consumeAll([{ rule: 'slow-mode', subject: '3:7', limit: slow, audit }])).rejects.toBeInstanceOf(RateLimitedException);
    }
    store.next = { index: 0, retryMs: 1_000 };
    await expect(limiter.consumeAll([{ rule: 'dm', subject: '7' }])).rejects.toBeInstanceOf(RateLimitedException);
    expect(log.entries).toEqual([
      expect.objectContaining({ actor: 'rule:slow-mode', action: 'rule.hit', room: audit.room, target: audit.target, reason: slow.refusal, details: { action: 'refuse' } }),
    ]);
  });

  it("a post's windows go to the store in one call, and a refusal names the window that refused: its rule, reason, audit and count", async () => {
    const { store, metrics, limiter, log } = limiterWith({ RATE_LIMIT_POSTS: 5, QUOTA_POSTS_PER_DAY: 0 });
    const audit = { room: { id: 3, token: 'lobby' }, target: `15${'ab'.repeat(32)}` };
    const quota = { points: 10, windowSeconds: 86_400, window: 'rolling' as const, refusal: 'Quota exceeded: at most 10 posts per day in this room' };
    const takes = [
      { rule: 'post' as const, subject: '3:7' },
      { rule: 'posts-day' as const, subject: '7' }, // off: not sent
      { rule: 'room-posts' as const, subject: '3:7', limit: quota, audit },
    ];
    const places = await limiter.consumeAll(takes);
    expect(store.calls.map((call) => call.map((t) => t.place.key))).toEqual([['rl:post:3:7', 'rl:room-posts:3:7']]);
    expect(places.map((p) => p.stored)).toEqual(store.calls[0].map((t) => t.place));
    store.next = { index: 1, retryMs: 3_600_000 };
    await expect(limiter.consumeAll(takes)).rejects.toMatchObject({ rule: 'room-posts', message: quota.refusal, retryAfter: 3600 });
    expect(store.calls).toHaveLength(2);
    expect(store.refunded).toEqual([]);
    expect(await refusedCount(metrics, 'room-posts')).toBe(1);
    expect(await refusedCount(metrics, 'post')).toBe(0);
    expect(log.entries).toEqual([expect.objectContaining({ actor: 'rule:room-posts', target: audit.target, reason: quota.refusal })]);
  });

  it('takes run inside another script (the nonce claim) go nowhere near the store, and their refusal is settled as consumeAll answers it', async () => {
    const { store, metrics, limiter } = limiterWith({ USER_RATE_LIMIT: 3, USER_RATE_WINDOW: 60 });
    const scripted = limiter.scripted([{ rule: 'user', subject: '7' }]);
    expect(scripted.windows).toEqual([{ place: { window: 'fixed', key: 'rl:user:7', points: 1 }, limit: 3, windowMs: 60_000 }]);
    expect(await scripted.settle(null)).toEqual([{ stored: { window: 'fixed', key: 'rl:user:7', points: 1 } }]);
    await expect(scripted.settle({ index: 0, retryMs: 1500 })).rejects.toMatchObject({
      rule: 'user',
      retryAfter: 2,
      message: 'Rate limit exceeded: too many requests from this user; try again later',
    });
    expect(await refusedCount(metrics, 'user')).toBe(1);
    expect(store.calls).toEqual([]);
    expect(limiterWith({ USER_RATE_LIMIT: 0 }).limiter.scripted([{ rule: 'user', subject: '7' }]).windows).toEqual([]);
  });

  it('a rule set to 0 is off: nothing is stored, nothing to refund', async () => {
    const { store, limiter } = limiterWith({ DM_RATE_LIMIT: 0 });
    await expect(limiter.consume('dm', '7')).resolves.toBeNull();
    await limiter.refund(null);
    expect(store.consumed).toEqual([]);
    expect(store.refunded).toEqual([]);
  });

  it('counts each rule in its own window kind, with its configured points and window', async () => {
    const { store, limiter } = limiterWith({ DM_RATE_LIMIT: 4, DM_RATE_WINDOW: 30, RATE_LIMIT_POSTS: 5, RATE_LIMIT_WINDOW: 16, UPLOAD_QUOTA_BYTES: 1000, UPLOAD_QUOTA_WINDOW: 60 });
    await limiter.consume('dm', '7');
    await limiter.consume('post', '3:7');
    await limiter.consume('upload-bytes', '7', 600);
    expect(store.consumed).toEqual([
      { place: { window: 'fixed', key: 'rl:dm:7', points: 1 }, limit: 4, windowMs: 30_000 },
      { place: { window: 'sliding', key: 'rl:post:3:7', points: 1, member: expect.stringMatching(/^1:[0-9a-f]{16}$/) }, limit: 5, windowMs: 16_000 },
      { place: { window: 'fixed', key: 'rl:upload-bytes:7', points: 600 }, limit: 1000, windowMs: 60_000 },
    ]);
  });

  it('two posts get two distinct places in the sliding log, and a refund gives back exactly its own', async () => {
    const { store, limiter } = limiterWith({ RATE_LIMIT_POSTS: 5 });
    const first = await limiter.consume('post', '1:2');
    const second = await limiter.consume('post', '1:2');
    expect(first!.stored).not.toEqual(second!.stored);
    await limiter.refund(second);
    expect(store.refunded).toEqual([second!.stored]);
  });

  it('a refusal is a 429 with the rule, its reason and Retry-After in whole seconds (rounded up), and is counted', async () => {
    const { store, metrics, limiter } = limiterWith({ DM_RATE_LIMIT: 2, USER_RATE_LIMIT: 10, UPLOAD_QUOTA_BYTES: 1000, UPLOAD_QUOTA_WINDOW: 60 });
    store.next = { index: 0, retryMs: 1_200 };
    const refused = await limiter.consume('dm', '7').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedException);
    expect(refused).toMatchObject({ rule: 'dm', status: 429, message: 'Rate limited', retryAfter: 2 });
    await expect(limiter.consume('user', '05ab')).rejects.toMatchObject({ message: 'Rate limit exceeded: too many requests from this user; try again later' });
    // More than the whole limit can never fit: no Retry-After to promise.
    store.next = { index: 0, retryMs: null };
    await expect(limiter.consume('upload-bytes', '7', 5000)).rejects.toMatchObject({ retryAfter: null, message: 'Upload quota exceeded: at most 1000 bytes per 60 seconds' });
    expect(await refusedCount(metrics, 'dm')).toBe(1);
    expect(await refusedCount(metrics, 'upload-bytes')).toBe(1);
  });

  it('a refund that fails is logged, not thrown: the action it followed has already been answered', async () => {
    const { store, limiter } = limiterWith({ DM_RATE_LIMIT: 2 });
    const place = await limiter.consume('dm', '7');
    store.failRefunds = true;
    await expect(limiter.refund(place)).resolves.toBeUndefined();
  });

  it('every rule but the opt-in server-wide post quota is on by default, and the request limit leaves room for an account on three devices retrying every poll (issue 19 item 9)', () => {
    const rules = rateRules(loadConfig({}, { DATABASE_URL: 'postgresql://unused' }));
    // posts-day costs a Redis window per post (BENCHMARKS.md); RATE_LIMIT_POSTS bounds each room.
    for (const [name, rule] of Object.entries(rules)) expect([name, rule.points > 0]).toEqual([name, name !== 'posts-day']);
    // One batch per poll: desktop every 10 s, Android every 4 s, iOS every 3 s; each retried up to 3 times.
    const pollsPerMinute = 60 / 10 + 60 / 4 + 60 / 3;
    const worstPerWindow = pollsPerMinute * (1 + 3) * (rules.user.windowSeconds / 60);
    expect(worstPerWindow).toBeLessThan(rules.user.points / 1.5);
  });
});
