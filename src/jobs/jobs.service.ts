import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { DelayedError, Queue, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { redisKey } from '../redis/redis-keys';
import { fileExpiryJobId, JOB_QUEUE, JobName, QueueName, type FileExpiryData, type JobData } from './job-names';
import { ON_JOB, type IntervalSetting, type JobDeclaration } from './on-job.decorator';

type Handler = (data: unknown, job: Job) => Promise<unknown>;

/**
 * A handler's way to say "not yet": the job goes back to the delayed set until `at` (unix ms)
 * without counting as a failure (a file whose expiry moved later, protocol §9.3).
 */
export class JobNotDue extends Error {
  constructor(readonly at: number) {
    super(`job not due until ${new Date(at).toISOString()}`);
  }
}

/** Retries with backoff; failures stay visible in the queue for a week (never dropped silently). */
const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
};

const WORKER_CONCURRENCY: Record<QueueName, number> = { [QueueName.Files]: 4, [QueueName.Maintenance]: 1, [QueueName.Plugins]: 4 };

/**
 * BullMQ queues (producers, in every process) and workers (only when ROLE is `worker` or `all`).
 * Handlers are provider methods tagged `@OnJob`, found at start-up; a job name without exactly
 * one handler stops the start. Workers schedule the periodic ones at the interval they declare.
 */
@Injectable()
export class JobsService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly handlers = new Map<JobName, Handler>();
  private readonly periodic = new Map<JobName, IntervalSetting>();
  private readonly connection: ConnectionOptions;
  private readonly prefix: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    // Workers block on Redis, so commands must wait for a reconnect rather than fail (BullMQ's rule).
    this.connection = { url: config.REDIS_URL, maxRetriesPerRequest: null };
    this.prefix = redisKey(config.REDIS_PREFIX, 'bull');
  }

  get runsWorkers(): boolean {
    return this.config.ROLE === 'worker' || this.config.ROLE === 'all';
  }

  onModuleInit(): void {
    for (const name of Object.values(QueueName)) {
      const queue = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      queue.on('error', (err) => this.logger.warn(`queue ${name}: ${err.message}`));
      this.queues.set(name, queue);
      this.metrics.trackQueue(name, () => queue.getJobCounts());
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    this.discoverHandlers();
    if (!this.runsWorkers) return;
    for (const name of Object.values(QueueName)) this.startWorker(name);
    await this.schedulePeriodic();
  }

  /**
   * One scheduler per periodic job, keyed by its name; schedulers no handler declares (a job an
   * older version ran, such as the former single "cleanup") are removed, or they would enqueue
   * jobs that no worker can run.
   */
  private async schedulePeriodic(): Promise<void> {
    for (const queueName of Object.values(QueueName)) {
      const queue = this.queue(queueName);
      for (const scheduler of await queue.getJobSchedulers()) {
        if (!this.periodic.has(scheduler.key as JobName)) await queue.removeJobScheduler(scheduler.key);
      }
    }
    for (const [name, every] of this.periodic) {
      await this.queue(JOB_QUEUE[name]).upsertJobScheduler(name, { every: this.config[every] * 1000 }, { name, data: {} });
    }
  }

  /** Graceful shutdown: workers finish their in-flight jobs before the connections close. */
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  private queue(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`queue ${name} is not open`);
    return queue;
  }

  async add<N extends JobName>(name: N, data: JobData[N], options: { jobId?: string; delayMs?: number } = {}): Promise<void> {
    await this.bounded(this.queue(JOB_QUEUE[name]).add(name, data, { jobId: options.jobId, delay: Math.max(0, options.delayMs ?? 0) }));
  }

  /**
   * The queues' connection waits for Redis to come back (workers need that), so a request that
   * enqueues must not wait on it: past REDIS_COMMAND_TIMEOUT it fails like a timed-out command (503).
   */
  private bounded<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Command timed out (job queue)')), this.config.REDIS_COMMAND_TIMEOUT * 1000);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * (Re)schedules the deletion of one file at `at` (unix seconds), or cancels it (null). The job
   * re-reads the row when it runs, so a stale schedule only costs a no-op; the sweep covers a
   * schedule that could not be changed (its job was running) or was lost with Redis.
   */
  async scheduleFileExpiry(data: FileExpiryData, at: number | null): Promise<void> {
    const queue = this.queue(QueueName.Files);
    const jobId = fileExpiryJobId(data);
    try {
      await this.bounded(queue.remove(jobId));
    } catch (err) {
      // A running job cannot be removed; it re-reads the expiry itself.
      this.logger.debug?.(`expiry job ${jobId} not replaced: ${(err as Error).message}`);
      return;
    }
    if (at === null) return;
    await this.add(JobName.FileExpiry, data, { jobId, delayMs: at * 1000 - Date.now() });
  }

  /** Runs a job's handler now, in this process (CLI and tests); no retry. */
  async runNow<N extends JobName>(name: N, data: JobData[N]): Promise<unknown> {
    const handler = this.handlers.get(name);
    if (!handler) throw new Error(`no handler for job ${name}`);
    return handler(data, undefined as unknown as Job);
  }

  private discoverHandlers(): void {
    const found = new Map<JobName, string[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (prototype as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const declared = this.reflector.get<JobDeclaration | undefined>(ON_JOB, fn as (...args: unknown[]) => unknown);
        if (!declared) continue;
        const { name, every } = declared;
        const owner = `${instance.constructor.name}.${method}`;
        found.set(name, [...(found.get(name) ?? []), owner]);
        const run = fn as (...args: unknown[]) => Promise<unknown>;
        // A periodic job has no data: its method keeps its own defaults (e.g. "now").
        this.handlers.set(name, every ? () => run.call(instance) : (data, job) => run.call(instance, data, job));
        if (every) this.periodic.set(name, every);
      }
    }
    const problems: string[] = [];
    for (const name of Object.values(JobName)) {
      const owners = found.get(name) ?? [];
      if (owners.length === 0) problems.push(`job "${name}" has no @OnJob handler`);
      if (owners.length > 1) problems.push(`job "${name}" has ${owners.length} handlers (${owners.join(', ')})`);
    }
    if (problems.length) throw new Error(`Job handlers: ${problems.join('; ')}`);
  }

  private startWorker(name: QueueName): void {
    const worker = new Worker(
      name,
      async (job: Job, token?: string) => {
        const handler = this.handlers.get(job.name as JobName);
        if (!handler) throw new Error(`no handler for job ${job.name}`);
        try {
          return await handler(job.data, job);
        } catch (err) {
          if (err instanceof JobNotDue && token) {
            await job.moveToDelayed(err.at, token);
            throw new DelayedError();
          }
          throw err;
        }
      },
      {
        connection: this.connection,
        prefix: this.prefix,
        concurrency: WORKER_CONCURRENCY[name],
        // A crashed worker's job goes back to the queue once its lock lapses (issue 8: faults).
        lockDuration: this.config.JOB_LOCK_DURATION * 1000,
        stalledInterval: this.config.JOB_LOCK_DURATION * 1000,
      },
    );
    worker.on('completed', (job) => this.metrics.observeJobAttempt(name, job.name, 'completed'));
    worker.on('failed', (job, err) => {
      this.metrics.observeJobAttempt(name, job?.name ?? 'unknown', 'failed');
      const attempts = job ? `attempt ${job.attemptsMade}/${job.opts.attempts ?? 1}` : '';
      this.logger.error(`job ${job?.name ?? '?'} ${job?.id ?? ''} failed (${attempts}): ${err.stack ?? err.message}`);
    });
    worker.on('error', (err) => this.logger.warn(`worker ${name}: ${err.message}`));
    this.workers.push(worker);
  }
}
