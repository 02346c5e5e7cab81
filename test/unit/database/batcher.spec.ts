// The group commit's grouping (issue 18 item 3), with the statement faked: what waits while a
// batch is in flight goes together in the next, at most `max` at once; each caller gets its own
// answer; a failure fails its whole batch unless it is one a post may have caused alone.
import { DatabaseError } from 'pg';
import { Batcher, type BatcherOptions } from '../../../src/database/batcher';
import { statementRolledBack } from '../../../src/database/prepared';

/** A fake statement: every call is one batch the test resolves or rejects by hand. */
function fakeRun() {
  const calls: Array<{ items: number[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items, resolve: () => resolve(items.map((i) => `stored ${i}`)), reject });
    });
  return { calls, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function batcher(options: Partial<BatcherOptions<number, string>> & Pick<BatcherOptions<number, string>, 'run'>) {
  const sizes: number[] = [];
  const b = new Batcher<number, string>({ max: 64, windowMs: 0, concurrency: 1, retryAlone: () => false, observe: (n) => sizes.push(n), ...options });
  return { b, sizes };
}

describe('Batcher', () => {
  it('sends what arrives in one turn together, and what arrives while a batch is in flight in the next', async () => {
    const { calls, run } = fakeRun();
    const { b, sizes } = batcher({ run });
    const first = [1, 2, 3].map((i) => b.submit(i));
    await tick();
    expect(calls.map((c) => c.items)).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((i) => b.submit(i));
    await tick();
    expect(calls).toHaveLength(1); // one in flight: 4 and 5 wait for it
    calls[0].resolve();
    expect(await Promise.all(first)).toEqual(['stored 1', 'stored 2', 'stored 3']);
    await tick();
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    calls[1].resolve();
    expect(await Promise.all(second)).toEqual(['stored 4', 'stored 5']);
    expect(sizes).toEqual([3, 2]);
  });

  it('no batch is larger than max; max 1 sends each alone at once, none waiting for another', async () => {
    const { calls, run } = fakeRun();
    const { b } = batcher({ run, max: 2, concurrency: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => b.submit(i));
    await tick();
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    calls[0].resolve();
    await tick();
    expect(calls.map((c) => c.items)).toEqual([[1, 2], [3, 4], [5]]);
    calls[1].resolve();
    calls[2].resolve();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5].map((i) => `stored ${i}`));

    const single = fakeRun();
    const alone = batcher({ run: single.run, max: 1, concurrency: 1 }).b;
    const three = [7, 8, 9].map((i) => alone.submit(i));
    await tick();
    expect(single.calls.map((c) => c.items)).toEqual([[7], [8], [9]]);
    single.calls.forEach((c) => c.resolve());
    await Promise.all(three);
  });

  it('no batch weighs more than maxWeight; an item heavier than that goes alone, and a full batch by weight goes at once', async () => {
    const { calls, run } = fakeRun();
    // Items weigh their own value: 3 + 4 fit 8, 5 would not; 9 is over the cap on its own.
    const { b } = batcher({ run, max: 64, concurrency: 4, windowMs: 50, maxWeight: 8, weigh: (i) => i });
    const all = [3, 4, 5, 9, 1].map((i) => b.submit(i));
    await tick();
    // 3+4 and 5 are full by weight and 9 alone; 1 waits (the 50 ms window has not ended).
    expect(calls.map((c) => c.items)).toEqual([[3, 4], [5], [9]]);
    calls.forEach((c) => c.resolve());
    await Promise.all(all.slice(0, 4));
    // A batch's end starts whatever waited meanwhile, window or not.
    expect(calls[3].items).toEqual([1]);
    calls[3].resolve();
    expect(await all[4]).toBe('stored 1');
  });

  it('the window lets later arrivals join the first', async () => {
    jest.useFakeTimers();
    try {
      const { calls, run } = fakeRun();
      const { b } = batcher({ run, windowMs: 2 });
      void b.submit(1);
      jest.advanceTimersByTime(1);
      void b.submit(2);
      expect(calls).toHaveLength(0);
      jest.advanceTimersByTime(1);
      expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a failed batch fails every caller in it, and the next batch still goes', async () => {
    const { calls, run } = fakeRun();
    const { b } = batcher({ run });
    const failed = [1, 2].map((i) => b.submit(i));
    await tick();
    const later = b.submit(3);
    const lost = new Error('Connection terminated unexpectedly');
    calls[0].reject(lost);
    for (const p of failed) await expect(p).rejects.toBe(lost);
    await tick();
    expect(calls[1].items).toEqual([3]);
    calls[1].resolve();
    expect(await later).toBe('stored 3');
  });

  it('a batch failing with an error one item may have caused is run again item by item: only that item fails', async () => {
    const poison = new Error('violates foreign key constraint');
    const runs: number[][] = [];
    const run = (items: number[]) => {
      runs.push(items);
      return items.includes(2) ? Promise.reject(poison) : Promise.resolve(items.map((i) => `stored ${i}`));
    };
    const { b, sizes } = batcher({ run, retryAlone: (err) => err === poison });
    const [one, two, three] = [1, 2, 3].map((i) => b.submit(i));
    expect(await one).toBe('stored 1');
    await expect(two).rejects.toBe(poison);
    expect(await three).toBe('stored 3');
    expect(runs).toEqual([[1, 2, 3], [1], [2], [3]]);
    expect(sizes).toEqual([3, 1, 1, 1]);
  });
});

describe('statementRolledBack (which batch failures are retried post by post)', () => {
  const pgError = (code: string) => Object.assign(new DatabaseError('failed', 0, 'error'), { code });
  it('an error PostgreSQL reports about the statement: a constraint, a deadlock', () => {
    expect(statementRolledBack(pgError('23503'))).toBe(true);
    expect(statementRolledBack(pgError('40P01'))).toBe(true);
  });
  it('not a lost connection, a shutdown, a cancelled (timed out) statement, or no answer at all', () => {
    for (const code of ['08006', '57P01', '57014', '53300', 'XX000']) expect(statementRolledBack(pgError(code))).toBe(false);
    expect(statementRolledBack(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(statementRolledBack(new Error('Query read timeout'))).toBe(false);
  });
});
