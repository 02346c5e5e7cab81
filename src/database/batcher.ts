export interface BatcherOptions<I, O> {
  /** Most items in one batch; 1 = no batching: every item alone, at once (`concurrency` does not apply). */
  max: number;
  /**
   * Most weight in one batch (`weigh` of its items summed, e.g. bytes of the statement they make);
   * an item heavier than this alone still goes, in a batch of its own.
   */
  maxWeight?: number;
  weigh?: (item: I) => number;
  /** How long the first item of a batch waits for others (ms); 0 = only those already waiting. */
  windowMs: number;
  /** Batches in flight at once; items submitted meanwhile wait and go together in the next. */
  concurrency: number;
  /** Runs one batch (one statement, one commit): one answer per item, in the items' order. */
  run: (items: I[]) => Promise<O[]>;
  /**
   * Whether a batch that failed with this error is tried again item by item: the error says that
   * nothing of it was stored and may belong to one item only. Anything else (a lost connection,
   * a commit of unknown outcome) fails every item of the batch.
   */
  retryAlone: (err: unknown) => boolean;
  /** Told the size of every batch run. */
  observe?: (size: number) => void;
}

interface Waiting<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit (issue 18 item 3): items submitted while a batch is in flight, or within the window,
 * run together as one batch; each caller is answered only when its batch has been run.
 */
export class Batcher<I, O> {
  private queue: Array<Waiting<I, O>> = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;

  constructor(private readonly options: BatcherOptions<I, O>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump(false);
    });
  }

  /**
   * Starts what may start: full batches at once, everything waiting when `now`; else arms the
   * window (a window armed earlier serves whoever waits when it ends).
   */
  private pump(now: boolean): void {
    const { max, windowMs } = this.options;
    const concurrency = max === 1 ? Infinity : this.options.concurrency;
    for (;;) {
      if (this.queue.length === 0 || this.inFlight >= concurrency) break;
      const take = this.fullBatch();
      if (take === 0 && !now) break;
      this.start(this.queue.splice(0, take || this.queue.length));
    }
    if (this.queue.length === 0 || this.inFlight >= concurrency || this.timer !== null) return;
    const fire = () => {
      this.timer = null;
      this.pump(true);
    };
    this.timer = windowMs > 0 ? setTimeout(fire, windowMs) : setImmediate(fire);
  }

  /** How many waiting items make a full batch (by count or by weight), 0 when those waiting do not. */
  private fullBatch(): number {
    const { max, maxWeight, weigh } = this.options;
    const limit = Math.min(max, this.queue.length);
    if (maxWeight === undefined || weigh === undefined) return this.queue.length >= max ? max : 0;
    let weight = 0;
    for (let i = 0; i < limit; i++) {
      weight += weigh(this.queue[i].item);
      if (weight > maxWeight) return Math.max(i, 1);
    }
    return this.queue.length >= max ? max : 0;
  }

  private start(batch: Array<Waiting<I, O>>): void {
    this.inFlight++;
    void this.run(batch).finally(() => {
      this.inFlight--;
      // Whatever waited meanwhile has waited long enough.
      this.pump(true);
    });
  }

  private async run(batch: Array<Waiting<I, O>>): Promise<void> {
    this.options.observe?.(batch.length);
    try {
      const answers = await this.options.run(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(answers[i]));
    } catch (err) {
      if (batch.length > 1 && this.options.retryAlone(err)) await Promise.all(batch.map((w) => this.run([w])));
      else for (const w of batch) w.reject(err);
    }
  }
}
