import { Counter, Histogram, type Registry } from 'prom-client';

export const REQUEST_LABEL_NAMES = ['method', 'route', 'status'] as const;
type RequestLabelName = (typeof REQUEST_LABEL_NAMES)[number];
type RequestLabelSet = Record<RequestLabelName, string>;

/** One series: its labels, made once, and what was observed under them, tallied in place. */
interface RequestSeries {
  readonly labels: RequestLabelSet;
  count: number;
  sum: number;
  /** Observations per bucket, not cumulative; the last one is past every bound (+Inf). */
  readonly perBucket: number[];
}

/**
 * Request counts and latencies by (method, route pattern, status), tallied into one object per
 * series found by three map look-ups. Every poll observes each of its sub-requests (43 for a
 * 20-room poll), and prom-client's own inc and observe hash the labels object on every call (issue
 * 18 item 4); the counter and histogram below render these tallies at scrape time instead, in
 * prom-client's own shape. Bounded as the labels are: methods and route patterns are the server's own.
 */
export class RequestTally {
  private readonly byRoute = new Map<string, Map<string, Map<number, RequestSeries>>>();

  constructor(readonly bounds: readonly number[]) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    const series = this.seriesOf(method, route, status);
    series.count++;
    series.sum += seconds;
    // The first bound the value does not exceed, as prom-client places it.
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]) bucket++;
    series.perBucket[bucket]++;
  }

  /** Every series observed so far. */
  *all(): IterableIterator<RequestSeries> {
    for (const byMethod of this.byRoute.values()) for (const byStatus of byMethod.values()) yield* byStatus.values();
  }

  private seriesOf(method: string, route: string, status: number): RequestSeries {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map<string, Map<number, RequestSeries>>()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map<number, RequestSeries>()));
    let series = byStatus.get(status);
    if (!series) {
      series = { labels: { method, route, status: String(status) }, count: 0, sum: 0, perBucket: new Array<number>(this.bounds.length + 1).fill(0) };
      byStatus.set(status, series);
    }
    return series;
  }
}

/** A prom-client counter whose values are a RequestTally's counts (nothing is ever inc'ed on it). */
export class TalliedCounter extends Counter<RequestLabelName> {
  constructor(
    config: { name: string; help: string; registry: Registry },
    private readonly tally: RequestTally,
  ) {
    super({ name: config.name, help: config.help, labelNames: REQUEST_LABEL_NAMES, registers: [config.registry] });
  }

  override async get(): ReturnType<Counter<RequestLabelName>['get']> {
    const base = await super.get();
    return { ...base, values: [...this.tally.all()].map((s) => ({ labels: { ...s.labels }, value: s.count })) };
  }
}

/** A prom-client histogram whose values are a RequestTally's buckets, sums and counts (nothing is ever observed on it). */
export class TalliedHistogram extends Histogram<RequestLabelName> {
  /** The same histogram, unregistered and never observed: its get() is the name, help, type and aggregator to render under. */
  private readonly empty: Histogram<RequestLabelName>;

  constructor(
    config: { name: string; help: string; registry: Registry },
    private readonly tally: RequestTally,
  ) {
    const options = { name: config.name, help: config.help, labelNames: REQUEST_LABEL_NAMES, buckets: [...tally.bounds] };
    super({ ...options, registers: [config.registry] });
    this.empty = new Histogram({ ...options, registers: [] });
  }

  override async get(): ReturnType<Histogram<RequestLabelName>['get']> {
    const base = await this.empty.get();
    const bucket = `${base.name}_bucket`;
    const values = [...this.tally.all()].flatMap((s) => {
      let cumulative = 0;
      const bounded = this.tally.bounds.map((le, i) => ({ labels: { le, ...s.labels }, value: (cumulative += s.perBucket[i]), metricName: bucket }));
      return [
        ...bounded,
        { labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket },
        { labels: { ...s.labels }, value: s.sum, metricName: `${base.name}_sum` },
        { labels: { ...s.labels }, value: s.count, metricName: `${base.name}_count` },
      ];
    });
    return { ...base, values };
  }

  /** The registry renders a histogram from this when it has one (prom-client's own does), so it must be ours too. */
  getForPromString(): ReturnType<Histogram<RequestLabelName>['get']> {
    return this.get();
  }
}

/** A request counter and a latency histogram over one tally, registered in `registry`. */
export function talliedRequestMetrics(
  registry: Registry,
  bounds: readonly number[],
  names: Record<'counter' | 'histogram', { name: string; help: string }>,
): { tally: RequestTally; requests: TalliedCounter; duration: TalliedHistogram } {
  const tally = new RequestTally(bounds);
  return {
    tally,
    requests: new TalliedCounter({ ...names.counter, registry }, tally),
    duration: new TalliedHistogram({ ...names.histogram, registry }, tally),
  };
}
