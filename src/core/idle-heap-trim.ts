import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What the trim reads and does: the process's own in IdleHeapTrimService, fakes in tests. */
export interface HeapTrimPort {
  /** Requests the public listener answered so far: while it stays the same, none came. */
  requestsSoFar(): number;
  /** Bytes the young generation holds resident now. */
  youngGenerationBytes(): number;
  /** One young-generation collection (a scavenge). */
  collectYoungGeneration(): void;
}

/**
 * Gives an idle process's young generation back. Under load V8 grows its two semi-spaces to 16 MB
 * each (≈ 32 MB resident, a fifth of the server's RSS) and shrinks them only in a collection that
 * runs while allocation is slow. An idle server runs none: nothing allocates enough to start one,
 * and V8's memory reducer is armed only by a full collection after the old generation has grown
 * since the reducer last ran, so whether it ever ran was chance (issue 18 item 4; BENCHMARKS.md,
 * "Idle RSS"). So once `idleMs` has passed without a request, one young-generation collection (a
 * scavenge, milliseconds) runs, and V8, finding the allocation rate low, returns the semi-spaces.
 *
 * V8 judges that rate over its last 5 s, from what was allocated between collections, so a
 * collection soon after the last requests may still find it high and keep the space; then the
 * next, `idleMs` later, finds it low. So up to `maxCollections` per idle spell, and only while the
 * young generation is larger than `minYoungBytes`: an idle server is not collected again and
 * again, and a busy one never is. Background jobs do not count as requests: the periodic cleanup
 * runs every 10 s by default, and V8 itself keeps the space while a job allocates fast. A process
 * without requests (ROLE=worker) starts a new spell when its young generation, once small, grows.
 */
export class IdleHeapTrim {
  private requestsSeen: number;
  /** The latest of: the last request seen, the young generation seen growing again, this spell's last collection. */
  private quietSince: number;
  private collectionsThisSpell = 0;
  /** The young generation was at most minYoungBytes when last read: its next growth starts a spell. */
  private wasSmall = false;

  constructor(
    private readonly port: HeapTrimPort,
    private readonly options: { idleMs: number; minYoungBytes: number; maxCollections: number; nowMs: number },
  ) {
    this.requestsSeen = port.requestsSoFar();
    this.quietSince = options.nowMs;
  }

  /** Called every second or so; true when it collected. */
  check(nowMs: number): boolean {
    const requests = this.port.requestsSoFar();
    if (requests !== this.requestsSeen) {
      this.requestsSeen = requests;
      this.startSpell(nowMs);
      return false;
    }
    if (this.port.youngGenerationBytes() <= this.options.minYoungBytes) {
      this.wasSmall = true;
      return false;
    }
    // Grown again without a request (a worker's jobs, a process serving no public requests).
    if (this.wasSmall) this.startSpell(nowMs);
    if (this.collectionsThisSpell >= this.options.maxCollections || nowMs - this.quietSince < this.options.idleMs) return false;
    this.collectionsThisSpell++;
    this.quietSince = nowMs;
    this.port.collectYoungGeneration();
    return true;
  }

  private startSpell(nowMs: number): void {
    this.quietSince = nowMs;
    this.collectionsThisSpell = 0;
    this.wasSmall = false;
  }
}

/**
 * A young-generation collection, from the gc Node gives a program started with --expose-gc.
 * Without that flag, the flag set now reaches contexts made from now on, so a new context hands
 * over its gc (the flag does not change the main context's globals). Null where the engine refuses.
 */
export function youngGenerationCollection(): (() => void) | null {
  const exposed: unknown = (globalThis as { gc?: unknown }).gc;
  const gc: unknown = typeof exposed === 'function' ? exposed : (setFlagsFromString('--expose-gc'), runInNewContext('typeof gc === "function" ? gc : null'));
  if (typeof gc !== 'function') return null;
  // Node's gc: no argument is a full collection; { type: 'minor' } a scavenge.
  const collect = gc as (options: { type: 'minor' }) => void;
  return () => collect({ type: 'minor' });
}

/** Bytes V8's new space holds resident (both semi-spaces). */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0;
}
