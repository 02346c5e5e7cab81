import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';
import { IdleHeapTrim, youngGenerationBytes, youngGenerationCollection, type HeapTrimPort } from '../../../src/core/idle-heap-trim';

const MB = 1048576;

/** A process whose requests, young generation and collections the test sets and counts. */
function fakeProcess(young = 32 * MB) {
  const state = { requests: 0, young, collections: 0, shrinksAfter: 1 };
  const port: HeapTrimPort = {
    requestsSoFar: () => state.requests,
    youngGenerationBytes: () => state.young,
    collectYoungGeneration: () => {
      state.collections++;
      if (state.collections >= state.shrinksAfter) state.young = 1 * MB;
    },
  };
  return { state, port };
}

const options = { idleMs: 10_000, minYoungBytes: 4 * MB, maxCollections: 3, nowMs: 0 };

/** Calls check once a second from `from` to `to` (ms), as the service's timer does; the times it collected. */
function tick(trim: IdleHeapTrim, from: number, to: number): number[] {
  const at: number[] = [];
  for (let t = from; t <= to; t += 1000) if (trim.check(t)) at.push(t);
  return at;
}

describe('IdleHeapTrim', () => {
  it('collects once idleMs has passed without a request, and not again while the process stays idle', () => {
    const { state, port } = fakeProcess();
    const trim = new IdleHeapTrim(port, options);
    expect(tick(trim, 1000, 9000)).toEqual([]);
    expect(tick(trim, 10_000, 60_000)).toEqual([10_000]);
    expect(state.young).toBe(1 * MB);
  });

  it('never collects while requests keep coming, and counts idleness from the last one seen', () => {
    const { state, port } = fakeProcess();
    const trim = new IdleHeapTrim(port, options);
    for (let t = 1000; t <= 60_000; t += 1000) {
      if (t % 9000 === 0) state.requests++;
      expect(trim.check(t)).toBe(false);
    }
    // the last request was seen at 54 s
    expect(tick(trim, 61_000, 70_000)).toEqual([64_000]);
  });

  it('tries again idleMs later when V8 kept the young generation, at most maxCollections times a spell', () => {
    const { state, port } = fakeProcess();
    state.shrinksAfter = 2;
    const trim = new IdleHeapTrim(port, options);
    expect(tick(trim, 1000, 60_000)).toEqual([10_000, 20_000]);

    state.shrinksAfter = Infinity;
    state.young = 32 * MB;
    state.requests++;
    expect(trim.check(61_000)).toBe(false);
    expect(tick(trim, 62_000, 200_000)).toEqual([71_000, 81_000, 91_000]);
    expect(state.collections).toBe(5);
  });

  it('leaves a young generation at or below minYoungBytes alone; when it grows again without a request, a new spell starts from then', () => {
    const { state, port } = fakeProcess(4 * MB);
    const trim = new IdleHeapTrim(port, options);
    expect(tick(trim, 1000, 60_000)).toEqual([]);
    // A process with no public requests (ROLE=worker) whose jobs grew it.
    state.young = 16 * MB;
    expect(tick(trim, 61_000, 100_000)).toEqual([71_000]);
    // Once given back, growth starts another spell; V8 keeping it now, at most maxCollections.
    state.young = 16 * MB;
    state.shrinksAfter = Infinity;
    expect(tick(trim, 101_000, 200_000)).toEqual([111_000, 121_000, 131_000]);
    expect(state.collections).toBe(4);
  });

  it('a request starts a new spell', () => {
    const { state, port } = fakeProcess();
    state.shrinksAfter = Infinity;
    const trim = new IdleHeapTrim(port, options);
    expect(tick(trim, 1000, 60_000)).toEqual([10_000, 20_000, 30_000]);
    state.requests++;
    expect(tick(trim, 61_000, 75_000)).toEqual([71_000]);
  });
});

describe('youngGenerationCollection', () => {
  it('runs a scavenge without --expose-gc on the command line', async () => {
    expect(youngGenerationBytes()).toBeGreaterThan(0);
    const collect = youngGenerationCollection();
    expect(collect).not.toBeNull();
    const entries: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
    observer.observe({ entryTypes: ['gc'] });
    // The call is synchronous: a collection that started during it is the one it ran.
    const [from, to] = [performance.now(), (collect?.(), performance.now())];
    await new Promise((r) => setTimeout(r, 50));
    observer.disconnect();
    const during = entries.filter((e) => e.startTime >= from && e.startTime <= to);
    expect(during.map((e) => (e as unknown as { detail: { kind: number } }).detail.kind)).toEqual([constants.NODE_PERFORMANCE_GC_MINOR]);
  });
});
