import { Injectable, Optional } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { talliedRequestMetrics } from './request-tally';

/** Job counts of one queue by state (waiting, active, delayed, failed, …), as BullMQ reports them. */
export type QueueDepthSource = () => Promise<Record<string, number>>;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * What is stored: bytes and files by kind (room files, file-server files), each file counted — the
 * use before deduplication — and the objects in storage, each once — the use after it.
 */
export interface StorageUsageReport {
  byKind: Array<{ kind: string; bytes: number; files: number }>;
  objects: { bytes: number; count: number };
}
export type StorageUsageSource = () => Promise<StorageUsageReport>;

/** Connection pool use: open connections, idle ones, and callers waiting for one. */
export interface DbPoolStats {
  open: number;
  idle: number;
  waiting: number;
}

/**
 * Every Prometheus series of the process, in one registry per application instance (tests run
 * several servers in one process). Other modules inject this service and count their own events:
 * the gateway `onionDecryptFailures`, auth `authFailures`, files `storageErrors`, jobs `observeJobAttempt`
 * and `trackQueue`, files `trackStorage`, and the database pool of PrismaService is read at each scrape. Served on the admin port at /metrics.
 * Names and labels follow docs/metrics.md (Prometheus conventions; Node's process metrics keep their standard names).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  /** Requests the public listener answered, tallied by observeHttpRequest. */
  private readonly http = talliedRequestMetrics(this.registry, LATENCY_BUCKETS, {
    counter: {
      name: 'scs_http_requests_total',
      help: 'HTTP requests the public listener answered (the onion request endpoints, the web page, direct routes), by route pattern and status',
    },
    histogram: { name: 'scs_http_request_duration_seconds', help: 'HTTP request latency on the public listener, by route pattern and status' },
  });

  /** Inner requests the router answered, tallied by observeInnerRequest. */
  private readonly inner = talliedRequestMetrics(this.registry, LATENCY_BUCKETS, {
    counter: {
      name: 'scs_inner_requests_total',
      help: 'Inner requests answered (the requests inside onion requests, each sub-request of a batch or sequence, direct routes), by route pattern and status',
    },
    histogram: { name: 'scs_inner_request_duration_seconds', help: 'Inner request latency by route pattern and status' },
  });

  /** The inner request counter (the console reads its values). */
  readonly innerRequests = this.inner.requests;

  readonly onionDecryptFailures = new Counter({
    name: 'scs_onion_decrypt_failures_total',
    help: 'Onion requests that could not be parsed or decrypted, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'scs_auth_failures_total',
    help: 'Requests refused by X-SOGS-* authentication, by reason (protocol §3.2)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'scs_rate_limited_requests_total',
    help: 'Requests refused (429) by a rate limit, by rule (src/rate-limit/rate-limiter.ts)',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });

  readonly muteRefusals = new Counter({
    name: 'scs_mute_refusals_total',
    help: 'Requests refused (403) because their user is muted, by the permission the mute withholds (write: post, edit, delete; upload)',
    labelNames: ['permission'] as const,
    registers: [this.registry],
  });

  readonly admissionRefusals = new Counter({
    name: 'scs_admission_refusals_total',
    help: 'Onion requests answered 503 at once because the process was at capacity, by reason (queue_full, queue_timeout)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly moderationActions = new Counter({
    name: 'scs_moderation_actions_total',
    help: 'Moderator, admin and automatic actions recorded in the audit log, by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  readonly idleHeapTrims = new Counter({
    name: 'scs_idle_heap_trims_total',
    help: 'Young-generation collections run because the process answered no request for IDLE_HEAP_TRIM_SECONDS, to give back the young generation',
    registers: [this.registry],
  });

  private readonly jobFailures = new Counter({
    name: 'scs_job_failures_total',
    help: 'Background job attempts that failed, by queue and job name',
    labelNames: ['queue', 'job'] as const,
    registers: [this.registry],
  });

  private readonly jobsCompleted = new Counter({
    name: 'scs_jobs_completed_total',
    help: 'Background job attempts that completed, by queue and job name',
    labelNames: ['queue', 'job'] as const,
    registers: [this.registry],
  });

  readonly ruleHits = new Counter({
    name: 'scs_policy_rule_hits_total',
    help: 'Times a room or server policy rule acted (issue 15), by rule and by what it did',
    labelNames: ['rule', 'action'] as const,
    registers: [this.registry],
  });

  readonly pluginCalls = new Counter({
    name: 'scs_plugin_calls_total',
    help: 'Plugin hook calls (issue 16), by plugin, event and outcome: the decision, ok for a notification, or why its default decision was taken (timeout, error, invalid, unavailable, signature)',
    labelNames: ['plugin', 'event', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly pluginDuration = new Histogram({
    name: 'scs_plugin_call_duration_seconds',
    help: 'Time a plugin took to answer a decision hook, by plugin and event (bounded by PLUGIN_DEADLINE)',
    labelNames: ['plugin', 'event'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly pluginRestarts = new Counter({
    name: 'scs_plugin_restarts_total',
    help: 'In-process plugins whose worker crashed or stopped answering and was restarted, by plugin',
    labelNames: ['plugin'] as const,
    registers: [this.registry],
  });

  readonly pluginActions = new Counter({
    name: 'scs_plugin_actions_total',
    help: 'Actions plugins asked for, by plugin, action and outcome (done, denied: not granted, failed: refused by a rule or invalid)',
    labelNames: ['plugin', 'action', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly postBatchSize = new Histogram({
    name: 'scs_post_batch_size',
    help: 'Posts stored by one statement and one commit (group commit, issue 18 item 3; POST_BATCH_MAX and POST_BATCH_MAX_BYTES cap it)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  readonly storageDeduplicated = new Counter({
    name: 'scs_storage_deduplicated_uploads_total',
    help: 'Uploads (room and file server) stored as a new reference to an object already held, writing no bytes',
    registers: [this.registry],
  });

  readonly storageErrors = new Counter({
    name: 'scs_storage_errors_total',
    help: 'Object storage operations that failed, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  private readonly queues = new Map<string, QueueDepthSource>();
  private storage: StorageUsageSource | null = null;
  private readonly dbPool: (() => DbPoolStats) | undefined;

  constructor(@Optional() prisma?: PrismaService) {
    this.dbPool = prisma && (() => ({ open: prisma.pool.totalCount, idle: prisma.pool.idleCount, waiting: prisma.pool.waitingCount }));
    // Standard names (process_*, nodejs_*), so stock Node.js dashboards find them.
    collectDefaultMetrics({ register: this.registry });
    const queues = this.queues;
    new Gauge({
      name: 'scs_queue_jobs',
      help: 'Jobs in each background queue by state',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      // Every API worker of a cluster reads the same shared queues: aggregating must not add them up.
      aggregator: 'max',
      async collect() {
        this.reset();
        await Promise.all(
          [...queues].map(async ([queue, source]) => {
            // A queue that cannot be read (Redis down) reports nothing rather than failing the scrape.
            const counts = await source().catch(() => ({}));
            for (const [state, count] of Object.entries(counts)) this.set({ queue, state }, count);
          }),
        );
      },
    });
    // Storage that cannot be read (database down) reports nothing rather than failing the scrape.
    const storageUsage = async (): Promise<StorageUsageReport | null> => (this.storage?.() ?? Promise.resolve(null)).catch(() => null);
    for (const [name, help, field] of [
      ['scs_storage_bytes', 'Bytes stored, by kind (room files, file_server files), every file counted: the use before deduplication', 'bytes'],
      ['scs_storage_files', 'Files stored, by kind (room files, file_server files)', 'files'],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['kind'] as const,
        registers: [this.registry],
        // Shared storage: every API worker reports the same totals.
        aggregator: 'max',
        async collect() {
          this.reset();
          for (const u of (await storageUsage())?.byKind ?? []) this.set({ kind: u.kind }, u[field]);
        },
      });
    }
    for (const [name, help, field] of [
      ['scs_storage_object_bytes', 'Bytes of the objects in storage, each shared object once: the use after deduplication', 'bytes'],
      ['scs_storage_objects', 'Objects in storage (one per distinct content)', 'count'],
    ] as const) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        aggregator: 'max',
        async collect() {
          this.reset();
          const objects = (await storageUsage())?.objects;
          if (objects) this.set(objects[field]);
        },
      });
    }
    const pool = () => this.dbPool?.();
    // The states partition the open connections (their sum is the pool's size); callers waiting are not connections.
    new Gauge({
      name: 'scs_db_pool_connections',
      help: 'Open database connections by state (idle, in_use)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const stats = pool();
        if (!stats) return;
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'in_use' }, stats.open - stats.idle);
      },
    });
    new Gauge({
      name: 'scs_db_pool_waiting_clients',
      help: 'Callers waiting for a database connection',
      registers: [this.registry],
      collect() {
        const stats = pool();
        if (stats) this.set(stats.waiting);
      },
    });
  }

  /** Reports the depth of a queue at each scrape. */
  trackQueue(queue: string, source: QueueDepthSource): void {
    this.queues.set(queue, source);
  }

  /** Reports what is stored at each scrape. */
  trackStorage(source: StorageUsageSource): void {
    this.storage = source;
  }

  /** Records one request the public listener answered; `route` is the route pattern, never the raw URL. */
  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    this.http.tally.observe(method, route, status, seconds);
  }

  /** Records one job attempt this process's workers finished. */
  observeJobAttempt(queue: string, job: string, outcome: 'completed' | 'failed'): void {
    (outcome === 'completed' ? this.jobsCompleted : this.jobFailures).inc({ queue, job });
  }

  /** Requests the public listener has answered so far, every series together. */
  httpRequestsAnswered(): number {
    let answered = 0;
    for (const series of this.http.tally.all()) answered += series.count;
    return answered;
  }

  /** Records one inner request the router answered (counted apart from its onion request, so neither total counts twice). */
  observeInnerRequest(method: string, route: string, status: number, seconds: number): void {
    this.inner.tally.observe(method, route, status, seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
