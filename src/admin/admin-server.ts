import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/config';
import { PrismaService } from '../database/prisma.service';
import { checkReadiness, type ReadinessCheck } from '../health/readiness';
import { answerPrimary } from '../cluster/ipc';
import { FilesService } from '../files/files.service';
import { MetricsService } from '../metrics/metrics.service';
import { RedisService } from '../redis/redis.service';
import { AdminModule } from './admin.module';
import { ConsoleAuthService } from '../console/console-auth.service';
import { installConsole } from '../console/console.routes';
import { ConsoleService } from '../console/console.service';

/** Readiness checks against the dependencies held by `context` (the API app or the worker). */
export function readinessChecks(context: INestApplicationContext): ReadinessCheck[] {
  const prisma = context.get(PrismaService, { strict: false });
  const redis = context.get(RedisService, { strict: false });
  return [
    { name: 'postgres', check: () => prisma.$queryRaw`SELECT 1` },
    { name: 'redis', check: () => redis.client.ping() },
    { name: 'redis_persistence', advisory: true, check: () => redis.checkPersistence() },
    // Resolved per check so a process built without the files module reports it instead of failing to start.
    { name: 'storage', check: () => context.get(FilesService, { strict: false }).healthCheck() },
  ];
}

/** The admin app (health, readiness, metrics, and the console) for an API or worker process, not yet listening. */
async function buildAdminServer(context: INestApplicationContext, config: AppConfig, logger: LoggerService | false): Promise<NestFastifyApplication> {
  const admin = await NestFactory.create<NestFastifyApplication>(
    AdminModule.register({
      checks: readinessChecks(context),
      timeoutMs: config.READY_CHECK_TIMEOUT * 1000,
      metrics: context.get(MetricsService, { strict: false }),
    }),
    new FastifyAdapter(),
    // No body parsers but the console's own (the other admin routes are GETs).
    { logger, abortOnError: false, bodyParser: false },
  );
  if (config.CONSOLE_ENABLED) {
    installConsole(admin.getHttpAdapter().getInstance(), {
      auth: context.get(ConsoleAuthService, { strict: false }),
      console: context.get(ConsoleService, { strict: false }),
      config,
      checks: readinessChecks(context),
      timeoutMs: config.READY_CHECK_TIMEOUT * 1000,
    });
  }
  return admin;
}

/** Starts the admin listener (health, readiness, metrics, and the console) for an API or worker process. */
export async function startAdminServer(context: INestApplicationContext, config: AppConfig, logger: LoggerService | false): Promise<NestFastifyApplication> {
  const admin = await buildAdminServer(context, config, logger);
  await admin.listen(config.ADMIN_PORT, config.ADMIN_HOST);
  return admin;
}

/** Hop-by-hop and length headers: the forwarded body is whole, so the worker's own framing applies. */
const UNFORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer']);

/**
 * In a cluster worker: the primary's admin port asks this process for its readiness and metrics,
 * and hands it console requests, answered by the same routes as a single process's admin listener
 * (run in memory, without a listener). Sessions live in PostgreSQL, so any worker can answer any
 * request of a session. Returns the in-memory admin app, to close with the process.
 */
export async function answerAdminQueries(context: INestApplicationContext, config: AppConfig, logger: LoggerService | false): Promise<NestFastifyApplication> {
  const checks = readinessChecks(context);
  const metrics = context.get(MetricsService, { strict: false });
  // Answering starts at once (the primary asks for readiness as soon as the worker listens); console requests wait for the app.
  const admin = buildAdminServer(context, config, logger).then(async (a) => a.init());
  answerPrimary({
    readiness: () => checkReadiness(checks, config.READY_CHECK_TIMEOUT * 1000),
    metrics: () => metrics.registry.getMetricsAsJSON(),
    console: async (req) => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !UNFORWARDED.has(name.toLowerCase())));
      const body = Buffer.from(req.body, 'base64');
      const fastify = (await admin).getHttpAdapter().getInstance();
      const res = await fastify.inject({ method: req.method as 'GET', url: req.url, headers, payload: body.length > 0 ? body : undefined });
      const answer: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !UNFORWARDED.has(name)) answer[name] = Array.isArray(value) ? value : String(value);
      return { status: res.statusCode, headers: answer, body: res.rawPayload.toString('base64') };
    },
  });
  return admin;
}
