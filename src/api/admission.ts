/*
 * Admission control (hardening, "Overload"): a process serves at most `maxInFlight` outer requests
 * at once; the rest wait in arrival order, at most `maxQueue` of them and each at most
 * `queueTimeoutMs`. A request that cannot be admitted in time is refused at once (the router
 * answers 503 with Retry-After inside the encrypted reply) instead of being served after its
 * client has given up: under more load than it can serve, the server spends its CPU on requests
 * that are still wanted. Pure: no Nest, no I/O.
 */

export interface AdmissionLimits {
  /** Outer requests served at once; 0 turns admission control off. */
  maxInFlight: number;
  /** Requests waiting for a slot; one more is refused at once. */
  maxQueue: number;
  /** Longest wait for a slot, in milliseconds. */
  queueTimeoutMs: number;
}

/** A slot to give back when the request is done (exactly once). */
export type Release = () => void;

interface Waiter {
  admit(release: Release): void;
  timer: ReturnType<typeof setTimeout>;
}

export class AdmissionControl {
  private inFlight = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly limits: AdmissionLimits) {}

  get active(): number {
    return this.inFlight;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** A slot, or null when none came free within the wait (or the queue is full). */
  acquire(): Promise<Release | null> {
    if (this.limits.maxInFlight === 0) return Promise.resolve(() => undefined);
    if (this.inFlight < this.limits.maxInFlight && this.queue.length === 0) return Promise.resolve(this.take());
    if (this.queue.length >= this.limits.maxQueue) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        admit: resolve,
        timer: setTimeout(() => {
          const at = this.queue.indexOf(waiter);
          if (at >= 0) this.queue.splice(at, 1);
          resolve(null);
        }, this.limits.queueTimeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  private take(): Release {
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      const next = this.queue.shift();
      if (next) {
        clearTimeout(next.timer);
        next.admit(this.take());
      }
    };
  }
}
