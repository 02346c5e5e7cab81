/**
 * Gathers the keyed items asked for within one event-loop turn and hands them to `run` together
 * after it: concurrent callers (the sub-requests of one /batch, the requests of one turn) share one
 * statement instead of one each (a member's first poll of 20 rooms, issue 18). A key asked for
 * again while it waits joins its item (`merge` decides the value); every caller gets its own key's
 * result (undefined when `run` gave none), or the statement's error.
 */
export class TurnBatch<V, R> {
  private pending: { items: Map<string, V>; done: Promise<Map<string, R>> } | null = null;

  constructor(
    private readonly run: (items: Map<string, V>) => Promise<Map<string, R>>,
    private readonly merge: (waiting: V, next: V) => V = (_waiting, next) => next,
  ) {}

  async get(key: string, value: V): Promise<R | undefined> {
    let batch = this.pending;
    if (!batch) {
      const items = new Map<string, V>();
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.pending = null;
        return this.run(items);
      });
      batch = this.pending = { items, done };
    }
    const waiting = batch.items.get(key);
    batch.items.set(key, waiting === undefined ? value : this.merge(waiting, value));
    return (await batch.done).get(key);
  }
}
