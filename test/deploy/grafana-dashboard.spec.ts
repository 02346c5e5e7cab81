import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestContext, type TestContext } from '../support/context';

// docker/grafana/dashboard.json (docs/metrics.md): it parses as a Grafana dashboard, and every
// metric its PromQL names is one a running server exports on /metrics. docs/metrics.md lists every
// family of ours a running server exports.

const ROOT = join(__dirname, '..', '..');
interface Panel {
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'docker', 'grafana', 'dashboard.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: unknown }[] };
};
/** Metric names in a PromQL expression: ours and Node's process metrics (label names never carry these prefixes). */
const metricNames = (expr: string): string[] => expr.match(/\b(?:scs|process|nodejs)_[a-z0-9_]+/g) ?? [];
/** The family a series name belongs to (histogram series carry suffixes). */
const family = (name: string, families: Set<string>): string => (families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, ''));

describe('Grafana dashboard (docker/grafana/dashboard.json)', () => {
  let ctx: TestContext;
  let families: Set<string>;
  beforeAll(async () => {
    ctx = await createTestContext();
    const text = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
    families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  });
  afterAll(() => ctx?.close());

  it('is a dashboard: a uid, panels with distinct ids, a query per target', () => {
    expect(dashboard.uid).toBe('session-community-server');
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) expect(metricNames(t.expr).length).toBeGreaterThan(0);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job']);
  });

  it('queries only metrics the server exports', () => {
    const queried = new Set(dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr))));
    const missing = [...queried].filter((name) => !families.has(family(name, families)));
    expect(missing).toEqual([]);
    // The exporter really is the server (not an empty scrape): ours and Node's are both there.
    expect(families.has('scs_inner_requests_total')).toBe(true);
    expect(families.has('process_cpu_seconds_total')).toBe(true);
  });

  it('docs/metrics.md lists every scs_ family the server exports', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8');
    const undocumented = [...families].filter((name) => name.startsWith('scs_') && !doc.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});
