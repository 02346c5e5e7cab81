/** One dependency the process needs to serve requests (spec-less: issue 5, /readyz). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answered; rejects (or hangs past the timeout) when it did not. */
  check: () => Promise<unknown>;
  /** A warning, not a dependency: its failure is reported but leaves the process ready. */
  advisory?: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  /** 'ok', or why the check failed. */
  checks: Record<string, string>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every check in parallel, each bounded by `timeoutMs`, so /readyz answers fast even when a
 * dependency hangs; nothing is cached, so readiness comes back as soon as the dependency does.
 */
export async function checkReadiness(checks: readonly ReadinessCheck[], timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check, advisory = false }) => {
      try {
        await withTimeout(Promise.resolve().then(check), timeoutMs);
        return [name, 'ok', advisory] as const;
      } catch (err) {
        return [name, err instanceof Error ? err.message : String(err), advisory] as const;
      }
    }),
  );
  return { ready: results.every(([, r, advisory]) => advisory || r === 'ok'), checks: Object.fromEntries(results.map(([name, r]) => [name, r])) };
}
