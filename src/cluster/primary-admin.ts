import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { AppConfig } from '../config/config';
import type { ReadinessReport } from '../health/readiness';
import { consoleUploadLimit, isConsolePath } from '../console/console-http';
import { askWorker } from './ipc';
import type { Supervisor } from './supervisor';

/**
 * The admin port of a cluster primary (API_WORKERS > 1): the same /healthz, /readyz and /metrics
 * as a single process (admin-server.ts), for the whole process group. The primary owns no
 * database, Redis or registry of request metrics, so it asks every worker over the cluster
 * channel: /readyz merges their reports, /metrics aggregates their registries with its own
 * (prom-client's AggregatorRegistry: counters and histograms summed, so the group reads as one
 * server); the console's requests are answered by the workers. Plain node:http, so the primary
 * does not load Nest.
 */
export class PrimaryAdmin {
  private readonly registry = new Registry();
  private readonly server: Server;
  /** A worker bounds each readiness check by READY_CHECK_TIMEOUT itself; twice that covers the round trip. */
  private readonly askTimeoutMs: number;
  /** Console requests go to the listening workers in turn. */
  private nextWorker = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly supervisor: Supervisor,
  ) {
    this.askTimeoutMs = 2 * config.READY_CHECK_TIMEOUT * 1000;
    // The primary's own process metrics join the workers' (memory and CPU are summed over the group).
    collectDefaultMetrics({ register: this.registry });
    new Counter({
      name: 'scs_api_worker_restarts_total',
      help: 'API worker processes that died and were restarted',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(supervisor.restarts);
      },
    });
    // Two gauges, not two states of one: the listening workers are a part of the configured ones.
    new Gauge({
      name: 'scs_api_workers_configured',
      help: 'API worker processes configured (API_WORKERS)',
      registers: [this.registry],
      collect() {
        this.set(supervisor.size);
      },
    });
    new Gauge({
      name: 'scs_api_workers_listening',
      help: 'API worker processes listening now',
      registers: [this.registry],
      collect() {
        this.set(supervisor.listening().length);
      },
    });
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.ADMIN_PORT, this.config.ADMIN_HOST, () => resolve());
    });
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Ready when every API worker listens and each reports its dependencies ready. */
  async readiness(): Promise<ReadinessReport> {
    const listening = this.supervisor.listening();
    const reports = await Promise.all(
      listening.map((w) => askWorker(w, 'readiness', this.askTimeoutMs).catch((err: Error): ReadinessReport => ({ ready: false, checks: { api_worker: err.message } }))),
    );
    const checks: ReadinessReport['checks'] = {
      api_workers: listening.length === this.supervisor.size ? 'ok' : `${listening.length} of ${this.supervisor.size} listening`,
    };
    // Per dependency, the first failure any worker saw (they share the same database, Redis and storage).
    for (const report of reports) {
      for (const [name, result] of Object.entries(report.checks)) if (checks[name] === undefined || checks[name] === 'ok') checks[name] = result;
    }
    // Each worker has judged its own checks (an advisory one, such as Redis persistence, leaves it ready).
    return { ready: checks.api_workers === 'ok' && reports.every((r) => r.ready), checks };
  }

  /** The group's metrics; a worker that does not answer (dying, restarting) is left out of this scrape. */
  async metrics(): Promise<string> {
    const workers = await Promise.all(this.supervisor.listening().map((w) => askWorker(w, 'metrics', this.askTimeoutMs).catch(() => null)));
    const all = [await this.registry.getMetricsAsJSON(), ...workers.filter((m) => m !== null)];
    return AggregatorRegistry.aggregate(all).metrics();
  }

  /**
   * The console: each request goes whole to the next listening worker, whose console routes answer
   * it (sessions are in PostgreSQL, so every worker knows every session). Bodies are bounded as the
   * console bounds them (the largest upload plus its form).
   */
  private async forwardConsole(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const workers = this.supervisor.listening();
    if (workers.length === 0) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end('No API worker is listening yet');
    }
    const limit = consoleUploadLimit(this.config);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        return void res.end('Request body too large');
      }
      chunks.push(chunk as Buffer);
    }
    const worker = workers[this.nextWorker++ % workers.length];
    const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string | string[]] => e[1] !== undefined));
    const forwarded = { method: req.method ?? 'GET', url: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('base64') };
    const answer = await askWorker(worker, 'console', this.config.HTTP_REQUEST_TIMEOUT * 1000, forwarded).catch((err: Error) => err);
    if (answer instanceof Error) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(`The console's API worker did not answer: ${answer.message}`);
    }
    res.writeHead(answer.status, answer.headers);
    res.end(Buffer.from(answer.body, 'base64'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const json = 'application/json; charset=utf-8';
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (this.config.CONSOLE_ENABLED && isConsolePath(path)) return await this.forwardConsole(req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, json, JSON.stringify({ status: 'method not allowed' }));
      if (path === '/healthz') return send(200, json, JSON.stringify({ status: 'ok' }));
      if (path === '/readyz') {
        const report = await this.readiness();
        return send(report.ready ? 200 : 503, json, JSON.stringify({ status: report.ready ? 'ready' : 'unready', checks: report.checks }));
      }
      if (path === '/metrics') return send(200, this.registry.contentType, await this.metrics());
      send(404, json, JSON.stringify({ status: 'not found' }));
    } catch (err) {
      send(500, json, JSON.stringify({ status: 'error', message: (err as Error).message }));
    }
  }
}
