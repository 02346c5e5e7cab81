import { ConsoleLogger, Injectable, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, loadConfig, type AppConfig } from '../../../src/config/config';
import { JobName, QueueName } from '../../../src/jobs/job-names';
import { JobsService } from '../../../src/jobs/jobs.service';
import { OnJob } from '../../../src/jobs/on-job.decorator';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { REDIS_URL } from '../../support/db';
import { eventually } from '../../support/eventually';

/** Handlers that record what ran; the periodic prune fails its first `failFirst` attempts, then takes `workMs`. */
@Injectable()
class RecordingHandlers {
  static failFirst = 0;
  static workMs = 0;
  cleanups = 0;
  completed = 0;
  expiries: unknown[] = [];

  @OnJob(JobName.PruneHistory, { every: 'CLEANUP_INTERVAL' })
  async cleanup(): Promise<void> {
    this.cleanups++;
    if (this.cleanups <= RecordingHandlers.failFirst) throw new Error(`planned failure ${this.cleanups}`);
    await new Promise((r) => setTimeout(r, RecordingHandlers.workMs));
    this.completed++;
  }

  @OnJob(JobName.FileSweep, { every: 'FILE_SWEEP_INTERVAL' })
  async sweep(): Promise<void> {}

  @OnJob(JobName.ExpireDms)
  async expireDms(): Promise<void> {}

  @OnJob(JobName.RefreshActiveUsers)
  async refreshActiveUsers(): Promise<void> {}

  @OnJob(JobName.ApplyFutures)
  async applyFutures(): Promise<void> {}

  @OnJob(JobName.ForgetUploaders)
  async forgetUploaders(): Promise<void> {}

  @OnJob(JobName.CountPosts)
  async countPosts(): Promise<void> {}

  @OnJob(JobName.PruneAudit)
  async pruneAudit(): Promise<void> {}

  @OnJob(JobName.PruneReports)
  async pruneReports(): Promise<void> {}

  @OnJob(JobName.PluginNotify)
  async pluginNotify(): Promise<void> {}

  @OnJob(JobName.FileExpiry)
  async expire(data: unknown): Promise<void> {
    this.expiries.push(data);
  }
}

@Injectable()
class PartialHandlers {
  @OnJob(JobName.PruneHistory)
  async cleanup(): Promise<void> {}
}

function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return loadConfig(
    {},
    {
      DATABASE_URL: 'postgresql://unused',
      REDIS_URL,
      REDIS_PREFIX: `scs-test:jobs:${randomBytes(4).toString('hex')}:`,
      CLEANUP_INTERVAL: 1,
      FILE_SWEEP_INTERVAL: 3600,
      ...overrides,
    },
  );
}

async function boot(config: AppConfig, handlers: Array<new (...args: never[]) => unknown>) {
  @Module({ imports: [DiscoveryModule], providers: [JobsService, MetricsService, { provide: APP_CONFIG, useValue: config }, ...handlers] })
  class TestJobsModule {}
  const app = await Test.createTestingModule({ imports: [TestJobsModule] })
    .setLogger(new ConsoleLogger({ logLevels: [] }))
    .compile();
  try {
    await app.init();
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}

async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

describe('jobs (BullMQ)', () => {
  afterEach(() => {
    RecordingHandlers.failFirst = 0;
    RecordingHandlers.workMs = 0;
  });

  it('refuses to start when a job name has no handler', async () => {
    const config = testConfig();
    await expect(boot(config, [PartialHandlers])).rejects.toThrow(/job "file-expiry" has no @OnJob handler/);
    await dropKeys(config.REDIS_PREFIX);
  });

  it('refuses to start when a job name has two handlers', async () => {
    const config = testConfig({ ROLE: 'api' });
    await expect(boot(config, [RecordingHandlers, PartialHandlers])).rejects.toThrow(/job "prune-history" has 2 handlers/);
    await dropKeys(config.REDIS_PREFIX);
  });

  it('runs a periodic job at the interval its handler declares; a failing attempt is counted in scs_job_failures_total and retried with backoff', async () => {
    RecordingHandlers.failFirst = 2;
    const config = testConfig();
    const app = await boot(config, [RecordingHandlers]);
    try {
      const handlers = app.get(RecordingHandlers);
      await eventually(() => handlers.completed >= 1, 15_000);
      const metrics = await app.get(MetricsService).registry.getSingleMetricAsString('scs_job_failures_total');
      expect(metrics).toMatch(/scs_job_failures_total\{queue="maintenance",job="prune-history"\} 2/);
    } finally {
      await app.close();
      await dropKeys(config.REDIS_PREFIX);
    }
  });

  it('schedules one delayed expiry job per file (deterministic id: rescheduling replaces it)', async () => {
    const config = testConfig({ CLEANUP_INTERVAL: 3600 });
    const app = await boot(config, [RecordingHandlers]);
    try {
      const jobs = app.get(JobsService);
      const at = Date.now() / 1000 + 0.5;
      await jobs.scheduleFileExpiry({ kind: 'room', id: '42' }, at + 100);
      await jobs.scheduleFileExpiry({ kind: 'room', id: '42' }, at);
      await jobs.scheduleFileExpiry({ kind: 'server', id: 'x' }, at + 100);
      await jobs.scheduleFileExpiry({ kind: 'server', id: 'x' }, null);
      const handlers = app.get(RecordingHandlers);
      await eventually(() => handlers.expiries.length >= 1, 10_000);
      await new Promise((r) => setTimeout(r, 700));
      expect(handlers.expiries).toEqual([{ kind: 'room', id: '42' }]);
    } finally {
      await app.close();
      await dropKeys(config.REDIS_PREFIX);
    }
  });

  it('removes schedulers of periodic jobs that no handler declares (the former single "cleanup")', async () => {
    const config = testConfig({ CLEANUP_INTERVAL: 3600 });
    const stale = new Queue(QueueName.Maintenance, { connection: { url: REDIS_URL }, prefix: `${config.REDIS_PREFIX}bull` });
    await stale.upsertJobScheduler('cleanup', { every: 10_000 }, { name: 'cleanup', data: {} });
    const app = await boot(config, [RecordingHandlers]);
    try {
      expect((await stale.getJobSchedulers()).map((s) => s.key)).toEqual([JobName.PruneHistory]);
    } finally {
      await app.close();
      await stale.close();
      await dropKeys(config.REDIS_PREFIX);
    }
  });

  it('only producers run when ROLE is api', async () => {
    const config = testConfig({ ROLE: 'api' });
    const app = await boot(config, [RecordingHandlers]);
    try {
      await app.get(JobsService).add(JobName.PruneHistory, {});
      await new Promise((r) => setTimeout(r, 1500));
      expect(app.get(RecordingHandlers).cleanups).toBe(0);
    } finally {
      await app.close();
      await dropKeys(config.REDIS_PREFIX);
    }
  });

  it('graceful shutdown lets the in-flight job finish', async () => {
    RecordingHandlers.workMs = 1500;
    const config = testConfig();
    const app = await boot(config, [RecordingHandlers]);
    const handlers = app.get(RecordingHandlers);
    await eventually(() => handlers.cleanups >= 1, 10_000);
    await app.close();
    expect(handlers.completed).toBe(handlers.cleanups);
    await dropKeys(config.REDIS_PREFIX);
  });
});
