/**
 * Polls `check` until it holds, for what settles a moment later (background jobs, change
 * notifications, a restarted dependency). It holds when it returns true or, for an assertion,
 * returns without throwing; false or a throw means "not yet". After `ms` the last error is thrown
 * (or a timeout naming `what`). Resolves to the milliseconds it took.
 */
export async function eventually(check: () => boolean | void | Promise<boolean | void>, ms = 10_000, what = 'condition', everyMs = 50): Promise<number> {
  const start = Date.now();
  for (;;) {
    let failure: unknown = null;
    try {
      if ((await check()) !== false) return Date.now() - start;
    } catch (err) {
      failure = err;
    }
    if (Date.now() - start > ms) {
      const error: unknown = failure ?? new Error(`timed out after ${ms} ms waiting for ${what}`);
      throw error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
