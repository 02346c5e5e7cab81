import { Worker } from 'node:worker_threads';
import { isDecisionEvent, type PluginEvent } from './plugin-events';
import { PluginFailure, type PluginHost } from './plugin-host';

/*
 * The worker's side: loads the plugin module, answers each event with its `decide` (decision
 * events) or `notify` (notifications) export, called with the event and `{ state }` (the shared
 * state, docs/plugins.md "State": each operation a message to the host, answered by id), and
 * answers pings at once, so the host can tell a busy plugin from a stuck one. Evaluated as a
 * string: the same code runs under ts-jest and from dist.
 */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const asked = new Map();
let nextState = 1;
const ask = (op) => new Promise((resolve, reject) => {
  const id = nextState++;
  asked.set(id, { resolve, reject });
  parentPort.postMessage({ state: id, op });
});
const state = Object.freeze({
  get: (key) => ask({ op: 'get', key }),
  set: (key, value, ttl) => ask({ op: 'set', key, value, ttl }),
  delete: (key) => ask({ op: 'delete', key }),
  incr: (key, ttl, by = 1) => ask({ op: 'incr', key, ttl, by }),
  append: (key, value, window) => ask({ op: 'append', key, value, window }),
  recent: (key, window) => ask({ op: 'recent', key, window }),
});
const context = Object.freeze({ state });
import(pathToFileURL(workerData.module).href).then((mod) => {
  const plugin = mod.default && typeof mod.default === 'object' ? mod.default : mod;
  parentPort.on('message', async (m) => {
    if (m.ping !== undefined) return parentPort.postMessage({ pong: m.ping });
    if (m.state !== undefined) {
      const call = asked.get(m.state);
      asked.delete(m.state);
      if (call) 'error' in m ? call.reject(new Error(m.error)) : call.resolve(m.result);
      return;
    }
    try {
      const fn = m.decision ? plugin.decide : plugin.notify;
      const answer = typeof fn === 'function' ? await fn(m.event, context) : m.decision ? { decision: 'allow' } : null;
      parentPort.postMessage({ id: m.id, answer: answer === undefined ? null : answer });
    } catch (err) {
      parentPort.postMessage({ id: m.id, error: String((err && err.message) || err) });
    }
  });
  parentPort.postMessage({ ready: true });
});
`;

export interface WorkerPluginOptions {
  name: string;
  modulePath: string;
  /** The config file's `settings`, readable by the module as require('node:worker_threads').workerData.settings */
  settings: Record<string, unknown>;
  memoryMb: number;
  restartDelayMs: number;
  restartMaxDelayMs: number;
  log: (level: 'warn' | 'log', message: string) => void;
  onRestart: () => void;
  /** Runs one of the plugin's state operations (PluginState.run), its answer sent back to the worker. */
  state: (op: unknown) => Promise<unknown>;
  /** State operations allowed in flight at once (PLUGIN_STATE_CONCURRENCY). */
  stateConcurrency: number;
}

interface Pending {
  resolve: (answer: unknown) => void;
  reject: (err: PluginFailure) => void;
  timer: NodeJS.Timeout;
}

type FromWorker = { ready: true } | { pong: number } | { state: number; op: unknown } | { id: number; answer: unknown } | { id: number; error: string };

/**
 * An in-process plugin in its own worker_threads Worker with a heap limit (issue 16 item 4). A
 * plugin that throws fails only that call; one that crashes, runs out of memory or stops answering
 * pings (a loop) is terminated and restarted after a back-off, doubling while it keeps failing.
 * Calls made while it is down fail at once ('unavailable'), so requests never wait on it.
 */
export class WorkerPlugin implements PluginHost {
  private worker: Worker | null = null;
  private ready = false;
  private pinging = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failures = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private stateInFlight = 0;

  constructor(private readonly opts: WorkerPluginOptions) {
    this.start();
  }

  private start(): void {
    this.restartTimer = null;
    this.ready = false;
    this.pinging = false;
    this.startedAt = Date.now();
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { module: this.opts.modulePath, settings: this.opts.settings },
      resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb, maxYoungGenerationSizeMb: Math.max(1, Math.floor(this.opts.memoryMb / 8)) },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on('message', (m: FromWorker) => this.received(worker, m));
    worker.on('error', (err) => this.opts.log('warn', `plugin ${this.opts.name} crashed: ${err.message}`));
    worker.on('exit', () => this.exited(worker));
    this.worker = worker;
  }

  private received(worker: Worker, m: FromWorker): void {
    if ('state' in m) {
      this.runState(worker, m.state, m.op);
      return;
    }
    if ('ready' in m) {
      this.ready = true;
      return;
    }
    if ('pong' in m) {
      this.pinging = false;
      return;
    }
    const call = this.pending.get(m.id);
    if (!call) return;
    this.pending.delete(m.id);
    clearTimeout(call.timer);
    if ('error' in m) call.reject(new PluginFailure('error', m.error));
    else call.resolve(m.answer);
  }

  /** A state operation from the worker; refused at once past the concurrency cap, so a plugin cannot flood Redis. */
  private runState(worker: Worker, id: number, op: unknown): void {
    const answer = (reply: { result: unknown } | { error: string }) => {
      if (worker === this.worker) worker.postMessage({ state: id, ...reply });
    };
    if (this.stateInFlight >= this.opts.stateConcurrency) return answer({ error: `more than ${this.opts.stateConcurrency} state operations at once (PLUGIN_STATE_CONCURRENCY)` });
    this.stateInFlight++;
    this.opts
      .state(op)
      .then(
        (result) => answer({ result }),
        (err: Error) => answer({ error: err.message }),
      )
      .finally(() => this.stateInFlight--);
  }

  call(event: PluginEvent, deadlineMs: number): Promise<unknown> {
    const worker = this.worker;
    if (!worker || this.closed) return Promise.reject(new PluginFailure('unavailable', 'restarting'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new PluginFailure('timeout', `no answer within ${deadlineMs} ms`));
        this.checkAlive(worker, deadlineMs);
      }, deadlineMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, decision: isDecisionEvent(event.type), event });
    });
  }

  /** After a missed deadline: a worker that cannot even answer a ping in as long is stuck, and is replaced. */
  private checkAlive(worker: Worker, deadlineMs: number): void {
    if (worker !== this.worker || !this.ready || this.pinging) return;
    this.pinging = true;
    worker.postMessage({ ping: this.nextId });
    setTimeout(() => {
      if (worker !== this.worker || !this.pinging) return;
      this.opts.log('warn', `plugin ${this.opts.name} stopped answering (a loop?): terminating it`);
      void worker.terminate();
    }, deadlineMs).unref();
  }

  private exited(worker: Worker): void {
    if (worker !== this.worker) return;
    this.worker = null;
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new PluginFailure('error', 'the plugin stopped'));
      this.pending.delete(id);
    }
    if (this.closed) return;
    // A worker that ran as long as the longest delay starts the doubling over.
    if (Date.now() - this.startedAt >= this.opts.restartMaxDelayMs) this.failures = 0;
    const delay = Math.min(this.opts.restartDelayMs * 2 ** this.failures, this.opts.restartMaxDelayMs);
    this.failures++;
    this.opts.onRestart();
    this.opts.log('log', `plugin ${this.opts.name} restarts in ${delay} ms`);
    this.restartTimer = setTimeout(() => this.start(), delay);
    this.restartTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker) await worker.terminate();
    this.worker = null;
  }
}
