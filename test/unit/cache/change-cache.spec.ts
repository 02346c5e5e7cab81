import { ChangeCache, type FeedState } from '../../../src/cache/change-cache';
import { parseChange } from '../../../src/cache/change-feed';
import { FixedClock } from '../support/fakes';

/** A feed whose state the test sets. */
class TestFeed implements FeedState {
  live = true;
  epoch = 0;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const options = { ttlMs: 60_000, maxEntries: 100, clock: new FixedClock() };

describe('ChangeCache', () => {
  it('loads once and serves the kept value until the key is deleted', async () => {
    const cache = new ChangeCache<number>(new TestFeed(), options);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('a', load)).toBe(1);
    cache.delete('a');
    expect(await cache.get('a', load)).toBe(2);
    expect(loads).toBe(2);
  });

  it('shares one load between concurrent misses', async () => {
    const cache = new ChangeCache<string>(new TestFeed(), options);
    const d = deferred<string>();
    let loads = 0;
    const load = () => (loads++, d.promise);
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    d.resolve('v');
    expect(await both).toEqual(['v', 'v']);
    expect(loads).toBe(1);
  });

  it('does not keep a load overtaken by a change to its key (it may have read the old row)', async () => {
    const cache = new ChangeCache<string>(new TestFeed(), options);
    const d = deferred<string>();
    const first = cache.get('k', () => d.promise);
    cache.delete('k');
    d.resolve('old');
    expect(await first).toBe('old');
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.get('k', async () => 'new')).toBe('new');
    expect(cache.peek('k')).toBe('new');
  });

  it('a load started after a change is not joined to the overtaken one', async () => {
    const cache = new ChangeCache<string>(new TestFeed(), options);
    const d = deferred<string>();
    void cache.get('k', () => d.promise);
    cache.delete('k');
    expect(await cache.get('k', async () => 'fresh')).toBe('fresh');
    d.resolve('old');
    await d.promise;
    expect(cache.peek('k')).toBe('fresh');
  });

  it('deleteTag forgets the entry by its second name and every load in flight', async () => {
    const cache = new ChangeCache<{ id: number; token: string }>(new TestFeed(), { ...options, tagOf: (room) => String(room.id) });
    await cache.get('lobby', async () => ({ id: 7, token: 'lobby' }));
    const d = deferred<{ id: number; token: string }>();
    const other = cache.get('other', () => d.promise);
    cache.deleteTag('7');
    expect(cache.peek('lobby')).toBeUndefined();
    d.resolve({ id: 8, token: 'other' });
    await other;
    expect(cache.peek('other')).toBeUndefined();
  });

  it('keeps nothing loaded across a gap in the feed, and reads through while the feed is down', async () => {
    const feed = new TestFeed();
    const cache = new ChangeCache<number>(feed, options);
    const d = deferred<number>();
    const pending = cache.get('k', () => d.promise);
    feed.epoch++;
    d.resolve(1);
    await pending;
    expect(cache.peek('k')).toBeUndefined();

    feed.live = false;
    let loads = 0;
    await cache.get('k', async () => ++loads);
    await cache.get('k', async () => ++loads);
    expect(loads).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('does not keep values `keep` refuses, nor failed loads', async () => {
    const cache = new ChangeCache<number | null>(new TestFeed(), { ...options, keep: (v) => v !== null });
    expect(await cache.get('absent', async () => null)).toBeNull();
    expect(cache.peek('absent')).toBeUndefined();
    await expect(cache.get('broken', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('broken', async () => 3)).toBe(3);
  });

  it('expires entries after ttlMs and starts over when full', async () => {
    const clock = new FixedClock();
    const cache = new ChangeCache<number>(new TestFeed(), { ttlMs: 20, maxEntries: 2, clock });
    await cache.get('a', async () => 1);
    clock.advance(30);
    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.get('a', async () => 2)).toBe(2);
    await cache.get('b', async () => 3);
    await cache.get('c', async () => 4);
    expect(cache.size).toBe(1);
    expect(cache.peek('c')).toBe(4);
  });
});

describe('parseChange (trigger payloads of migration 20261129090000)', () => {
  it('reads every payload the triggers send', () => {
    expect(parseChange('r12')).toEqual({ kind: 'room', roomId: 12 });
    expect(parseChange('R')).toEqual({ kind: 'rooms' });
    expect(parseChange('o3:44')).toEqual({ kind: 'override', roomId: 3, userId: 44 });
    expect(parseChange('u5')).toEqual({ kind: 'user', userId: 5 });
    expect(parseChange('i9:10')).toEqual({ kind: 'inbox', recipientId: 9, senderId: 10 });
  });

  it('ignores anything else', () => {
    for (const bad of ['', 'r', 'rx', 'i9', 'o3', 'u1:2', 'R1', 'r12345678901', 'x1', ' r1']) expect(parseChange(bad)).toBeNull();
  });
});
