/** What a cache needs of the change feed (ChangeFeed). */
export interface FeedState {
  /** True while changes are being heard. */
  readonly live: boolean;
  /** Bumped at every gap in what was heard. */
  readonly epoch: number;
}

export interface ChangeCacheOptions<V> {
  /** How long an entry may be served without a change notification (ms): a safety net, not the mechanism. */
  ttlMs: number;
  /** What `ttlMs` is measured on (the services' Clock; only its reading is needed, so cache/ stays below core/). */
  clock: { now(): number };
  /** Entries kept at most; the cache starts over when full. */
  maxEntries: number;
  /** A second name for an entry (e.g. the row id of an entry keyed by token), for deleteTag. */
  tagOf?: (value: V) => string | null;
  /** Whether a loaded value may be kept (e.g. not "absent" when absence is not announced). */
  keep?: (value: V) => boolean;
}

interface Loading<V> {
  promise: Promise<V>;
  stale: boolean;
}

/**
 * An in-process read-through cache whose entries live until the database announces a change to
 * them (ChangeFeed). Concurrent misses of one key share one load. A load overtaken by a change to
 * its key, or by a gap in the feed, is returned to its callers but not kept: what is kept was read
 * after the last change announced for it. While the feed is not live every read goes to `load`.
 */
export class ChangeCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private readonly loading = new Map<string, Loading<V>>();
  private readonly tags = new Map<string, string>();

  constructor(
    private readonly feed: FeedState,
    private readonly options: ChangeCacheOptions<V>,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    if (!this.feed.live) return load();
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.options.clock.now()) return Promise.resolve(hit.value);
    const pending = this.loading.get(key);
    if (pending && !pending.stale) return pending.promise;
    const epoch = this.feed.epoch;
    const entry: Loading<V> = { promise: load(), stale: false };
    entry.promise = entry.promise.then(
      (value) => {
        if (this.loading.get(key) === entry) this.loading.delete(key);
        if (!entry.stale && epoch === this.feed.epoch && (this.options.keep?.(value) ?? true)) this.store(key, value);
        return value;
      },
      (err: unknown) => {
        if (this.loading.get(key) === entry) this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, entry);
    return entry.promise;
  }

  /** The kept value of a key, if any (to update it in place after a write this process made). */
  peek(key: string): V | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expires > this.options.clock.now() ? hit.value : undefined;
  }

  delete(key: string): void {
    this.entries.delete(key);
    const pending = this.loading.get(key);
    if (pending) pending.stale = true;
  }

  /**
   * Forgets the entry tagged `tag`. Loads in flight cannot be told apart by tag yet, so all of them
   * are not kept.
   */
  deleteTag(tag: string): void {
    const key = this.tags.get(tag);
    if (key !== undefined) {
      this.tags.delete(tag);
      this.entries.delete(key);
    }
    for (const pending of this.loading.values()) pending.stale = true;
  }

  clear(): void {
    this.entries.clear();
    this.tags.clear();
    for (const pending of this.loading.values()) pending.stale = true;
  }

  get size(): number {
    return this.entries.size;
  }

  private store(key: string, value: V): void {
    if (this.entries.size >= this.options.maxEntries) {
      this.entries.clear();
      this.tags.clear();
    }
    this.entries.set(key, { value, expires: this.options.clock.now() + this.options.ttlMs });
    const tag = this.options.tagOf?.(value);
    if (tag) this.tags.set(tag, key);
  }
}
