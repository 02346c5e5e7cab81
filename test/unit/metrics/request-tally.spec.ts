import { Counter, Histogram, Registry } from 'prom-client';
import { REQUEST_LABEL_NAMES, RequestTally, TalliedCounter, TalliedHistogram } from '../../../src/metrics/request-tally';

const BOUNDS = [0.001, 0.01, 0.1, 1];
const OBSERVED: Array<[string, string, number, number]> = [
  ['GET', '/room/:token/messages/since/:seqno', 200, 0.0004],
  ['GET', '/room/:token/messages/since/:seqno', 200, 0.001], // on a bound: counted in it, as prom-client does
  ['GET', '/room/:token/messages/since/:seqno', 200, 0.05],
  ['GET', '/room/:token/messages/since/:seqno', 404, 0.002],
  ['POST', '/room/:token/message', 201, 2.5], // past every bound: only +Inf
  ['GET', '/capabilities', 200, 0.0001],
];

/** The same observations through prom-client's own counter and histogram, and through the tally. */
function registries(): { own: Registry; tallied: Registry; tally: RequestTally } {
  const own = new Registry();
  const counter = new Counter({ name: 'reqs_total', help: 'requests', labelNames: REQUEST_LABEL_NAMES, registers: [own] });
  const histogram = new Histogram({ name: 'req_seconds', help: 'latency', labelNames: REQUEST_LABEL_NAMES, buckets: BOUNDS, registers: [own] });
  const tallied = new Registry();
  const tally = new RequestTally(BOUNDS);
  new TalliedCounter({ name: 'reqs_total', help: 'requests', registry: tallied }, tally);
  new TalliedHistogram({ name: 'req_seconds', help: 'latency', registry: tallied }, tally);
  for (const [method, route, status, seconds] of OBSERVED) {
    const labels = { method, route, status: String(status) };
    counter.inc(labels);
    histogram.observe(labels, seconds);
    tally.observe(method, route, status, seconds);
  }
  return { own, tallied, tally };
}

describe('RequestTally', () => {
  it('renders exactly what prom-client renders for the same observations', async () => {
    const { own, tallied } = registries();
    const text = await tallied.metrics();
    expect(text).toBe(await own.metrics());
    expect(text).toContain('req_seconds_bucket{le="0.001",method="GET",route="/room/:token/messages/since/:seqno",status="200"} 2');
    expect(text).toContain('req_seconds_bucket{le="+Inf",method="POST",route="/room/:token/message",status="201"} 1');
    expect(text).toContain('reqs_total{method="GET",route="/capabilities",status="200"} 1');
  });

  it('gives the same values to a reader of the metric objects (the console reads the counter)', async () => {
    const { own, tallied } = registries();
    // (prom-client's own values also carry an empty exemplar)
    const byName = async (r: Registry) =>
      Object.fromEntries(
        (await r.getMetricsAsJSON()).map((m) => [
          m.name,
          m.values.map(({ labels, value, metricName }: { labels: object; value: number; metricName?: string }) => ({ labels, value, metricName })),
        ]),
      );
    expect(await byName(tallied)).toEqual(await byName(own));
  });

  it('keeps one series object per (method, route, status)', () => {
    const { tally } = registries();
    expect([...tally.all()].map((s) => [s.labels.method, s.labels.route, s.labels.status, s.count])).toEqual([
      ['GET', '/room/:token/messages/since/:seqno', '200', 3],
      ['GET', '/room/:token/messages/since/:seqno', '404', 1],
      ['POST', '/room/:token/message', '201', 1],
      ['GET', '/capabilities', '200', 1],
    ]);
  });
});
