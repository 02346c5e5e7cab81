/*
 * Line charts as standalone SVG files for bench/results/ (issue 18: throughput and p99 against
 * offered load, and the population run). Drawn here rather than with a chart library: two axes,
 * ticks and polylines are all a benchmark picture needs, and the files must render on GitHub.
 */

export interface Series {
  name: string;
  points: Array<[number, number]>;
  /** Plot against the right-hand axis. */
  right?: boolean;
  /** Dashed (e.g. a goal line). */
  dashed?: boolean;
}

export interface Chart {
  title: string;
  x: string;
  left: string;
  right?: string;
  series: Series[];
}

const W = 720;
const H = 400;
const M = { top: 48, right: 72, bottom: 56, left: 72 };
const COLOURS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed'];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round tick steps (1, 2, 5 × 10^k) covering 0..max in about five steps. */
function ticks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(v);
  if (out[out.length - 1] < max) out.push(out[out.length - 1] + step);
  return out;
}

const label = (v: number) => (Math.abs(v) >= 10_000 ? `${Math.round(v / 1000)}k` : Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v * 100) / 100));

export function lineChart(chart: Chart): string {
  const all = chart.series.flatMap((s) => s.points);
  const xTicks = ticks(Math.max(0, ...all.map((p) => p[0])));
  const yTicks = (right: boolean) => ticks(Math.max(0, ...chart.series.filter((s) => !!s.right === right).flatMap((s) => s.points.map((p) => p[1]))));
  const leftTicks = yTicks(false);
  const rightTicks = chart.right ? yTicks(true) : [];
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number) => M.left + (v / xTicks[xTicks.length - 1]) * pw;
  const sy = (v: number, t: number[]) => M.top + ph - (v / t[t.length - 1]) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (const v of leftTicks) {
    const y = sy(v, leftTicks);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`, `<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${label(v)}</text>`);
  }
  for (const v of rightTicks) parts.push(`<text x="${W - M.right + 6}" y="${sy(v, rightTicks) + 4}">${label(v)}</text>`);
  for (const v of xTicks) parts.push(`<text x="${sx(v)}" y="${H - M.bottom + 18}" text-anchor="middle">${label(v)}</text>`);
  parts.push(
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#111"/>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#111"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escape(chart.x)}</text>`,
    `<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${escape(chart.left)}</text>`,
  );
  if (chart.right) parts.push(`<text transform="translate(${W - 16} ${M.top + ph / 2}) rotate(90)" text-anchor="middle">${escape(chart.right)}</text>`);
  chart.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const t = s.right ? rightTicks : leftTicks;
    const pts = [...s.points].sort((a, b) => a[0] - b[0]).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y, t).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts.join(' ')}"/>`);
    if (!s.dashed) for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${colour}"/>`);
    const ly = M.top + 4 + i * 16;
    parts.push(
      `<line x1="${M.left + 10}" x2="${M.left + 30}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${M.left + 36}" y="${ly + 4}">${escape(s.name)}${s.right ? ' (right axis)' : ''}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
