import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';

/** One API worker position; a dead worker's replacement takes its position, role included. */
interface Slot {
  n: number;
  role: AppConfig['ROLE'];
  worker: Worker | null;
  listening: boolean;
  startedAt: number;
  deathsInARow: number;
  restartTimer: NodeJS.Timeout | null;
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/**
 * The cluster primary's API workers (API_WORKERS > 1): forks them, restarts one that dies (after
 * API_WORKER_RESTART_DELAY, doubling for each death in a row up to API_WORKER_RESTART_MAX_DELAY)
 * and stops them all on shutdown. With ROLE=all only worker 1 runs the background jobs (its
 * replacement too), so the group never runs more than one set of BullMQ workers and schedulers.
 */
export class Supervisor {
  private readonly slots: Slot[];
  private started = false;
  private stopping = false;
  /** Workers that died and were restarted since the primary started. */
  restarts = 0;

  constructor(
    private readonly config: AppConfig,
    count: number,
    private readonly log: Logger,
  ) {
    this.slots = Array.from({ length: count }, (_, i) => ({
      n: i + 1,
      role: i === 0 ? config.ROLE : 'api',
      worker: null,
      listening: false,
      startedAt: 0,
      deathsInARow: 0,
      restartTimer: null,
    }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Workers whose public listener is up (and which answer the admin port's questions). */
  listening(): Worker[] {
    return this.slots.flatMap((s) => (s.worker && s.listening ? [s.worker] : []));
  }

  /**
   * Starts worker 1 alone, so the one-time start-up work (system user, storage, job schedulers) is
   * done by one process, then the others together. Rejects when a worker exits before listening:
   * a group that cannot start fails like a single process would, instead of restarting forever.
   */
  async start(): Promise<void> {
    await this.fork(this.slots[0]);
    await Promise.all(this.slots.slice(1).map((s) => this.fork(s)));
    this.started = true;
  }

  /**
   * SIGTERM to every worker (each finishes its requests and jobs within SHUTDOWN_TIMEOUT), SIGKILL
   * to any still running after `timeoutMs`. Resolves true when every worker exited with code 0.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    for (const slot of this.slots) if (slot.restartTimer) clearTimeout(slot.restartTimer);
    const running = this.slots.flatMap((s) => (s.worker && s.worker.process.exitCode === null && s.worker.process.signalCode === null ? [s.worker] : []));
    const exits = running.map((w) => new Promise<boolean>((resolve) => w.once('exit', (code) => resolve(code === 0))));
    for (const w of running) w.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const w of running) if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill('SIGKILL');
    }, timeoutMs);
    const clean = await Promise.all(exits);
    clearTimeout(killer);
    return clean.every(Boolean);
  }

  /** Resolves when the worker listens; rejects when it exits first. */
  private fork(slot: Slot): Promise<void> {
    const worker = cluster.fork({ ROLE: slot.role });
    Object.assign(slot, { worker, listening: false, startedAt: Date.now(), restartTimer: null });
    this.log.info({ worker: slot.n, workerPid: worker.process.pid, role: slot.role }, `API worker ${slot.n} starting`);
    return new Promise((resolve, reject) => {
      worker.once('listening', () => {
        slot.listening = true;
        resolve();
      });
      worker.once('exit', (code: number | null, signal: string | null) => {
        slot.worker = null;
        slot.listening = false;
        reject(new Error(`API worker ${slot.n} exited (${describeExit(code, signal)}) before it listened`));
        this.exited(slot, worker, code, signal);
      });
    });
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (this.stopping || !this.started) return;
    const ranSeconds = (Date.now() - slot.startedAt) / 1000;
    const { API_WORKER_RESTART_DELAY: first, API_WORKER_RESTART_MAX_DELAY: max } = this.config;
    slot.deathsInARow = ranSeconds >= max ? 1 : slot.deathsInARow + 1;
    const delay = Math.min(first * 2 ** (slot.deathsInARow - 1), max);
    this.log.error(
      { worker: slot.n, workerPid: worker.process.pid, code, signal, deathsInARow: slot.deathsInARow },
      `API worker ${slot.n} (pid ${worker.process.pid}) died (${describeExit(code, signal)}) after ${ranSeconds.toFixed(1)} s; restarting it in ${delay} s`,
    );
    this.restarts++;
    slot.restartTimer = setTimeout(() => {
      // A replacement that fails to start dies again and comes back here with a longer delay.
      this.fork(slot).catch(() => undefined);
    }, delay * 1000);
  }
}
