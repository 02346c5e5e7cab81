/**
 * A small bounded map for memoising pure results keyed by public values (key validity, blinding
 * factors, key objects). Insertion-ordered eviction keeps memory flat under a flood of new keys.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): V {
    if (this.map.size >= this.capacity && !this.map.has(key)) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
    return value;
  }
}
