import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteRedisKeys } from '../../src/redis/delete-keys';
import { SogsClient } from '../../src/client';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { ChangeFeed } from '../../src/cache/change-feed';
import { PrismaService } from '../../src/database/prisma.service';
import type { Logger as PinoLogger } from 'pino';
import { startServer, type RunningServer } from '../../src/server';
import { TestClock } from './clock';
import { createDatabase, databaseUrl, dropDatabases, REDIS_URL, runId, templateName } from './db';

export interface TestContext {
  /** Base URL of the public listener (onion gateway, web page). */
  url: string;
  /** Base URL of the admin listener (healthz, readyz, metrics). */
  adminUrl: string;
  config: AppConfig;
  server: RunningServer;
  /** The app's own PrismaService, on this context's database; a write returns once the app has heard of it (see withChangeBarrier). */
  prisma: PrismaService;
  serverPubkeyHex: string;
  databaseUrl: string;
  /** The time of this context's servers (and replicas): `clock.advance(ms)` instead of a sleep. */
  clock: TestClock;
  /** A signed, onion-wrapping client with a fresh random identity (blinded unless blind: false). */
  newUser(options?: { blind?: boolean }): SogsClient;
  /** A client that sends no X-SOGS-* headers. */
  anon(): SogsClient;
  /** Starts one more server process-equivalent on the same database, Redis prefix, key and storage (a replica). */
  startReplica(config?: Partial<AppConfig>): Promise<RunningServer>;
  /** Stops the servers, drops the database, deletes this context's Redis keys and temp files. */
  close(): Promise<void>;
}

let contexts = 0;

/**
 * A running app on its own database (cloned from the migrated template of global-setup), its own
 * Redis key prefix, server key and storage; `config` overrides any setting. With STORAGE_DRIVER
 * 's3' it stores into its own bucket on the run's s3rver. `logger` captures the main server's log
 * lines (silent otherwise).
 */
export async function createTestContext(options: { config?: Partial<AppConfig>; logger?: PinoLogger } = {}): Promise<TestContext> {
  const run = runId();
  const id = `${process.env.JEST_WORKER_ID ?? '0'}_${++contexts}_${randomBytes(3).toString('hex')}`;
  const database = `scs_t_${run}_${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'scs-ctx-'));
  const redisPrefix = `scs-test:${run}:${id}:`;

  const s3Endpoint = process.env.SCS_TEST_S3_ENDPOINT;
  const wantsS3 = options.config?.STORAGE_DRIVER === 's3';
  if (wantsS3 && !s3Endpoint) throw new Error('No S3 test server: run tests through jest (test/support/global-setup.ts starts s3rver)');

  await createDatabase(database, templateName(run));
  const overrides: Partial<Record<keyof AppConfig, unknown>> = {
    DATABASE_URL: databaseUrl(database),
    DATABASE_POOL_SIZE: 4,
    REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    HOST: '127.0.0.1',
    PORT: 0,
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: 0,
    LOG_LEVEL: 'silent',
    KEY_FILE: join(dir, 'key_x25519'),
    MASTER_KEY_FILE: join(dir, 'master_key'),
    BOTS_DIR: join(dir, 'bots'),
    PLUGINS_DIR: join(dir, 'plugins'),
    STORAGE_DIR: join(dir, 'files'),
    // Tests fire requests far faster than any client (hundreds per user in seconds). The per-user
    // limits stay on, generous, so every request still passes the limiter; tests of a limit set their own.
    USER_RATE_LIMIT: 100_000,
    AUTH_FAILURE_LIMIT: 100_000,
    DM_RATE_LIMIT: 100_000,
    REACTION_RATE_LIMIT: 100_000,
    UPLOAD_QUOTA_BYTES: 100_000_000_000,
    FILE_SERVER_UPLOAD_RATE: 100_000,
    FILE_SERVER_UPLOAD_BYTES_RATE: 100_000_000_000,
    // Admission control stays on, but out of reach: tests fire bursts of concurrent requests on a
    // loaded 2-core machine (two jest workers, PostgreSQL, s3rver), where a slot can take longer than
    // the production wait; test/integration/gateway/bounded-work.spec.ts sets its own limits.
    ADMISSION_MAX_IN_FLIGHT: 256,
    ADMISSION_QUEUE_TIMEOUT: 30,
    ...(wantsS3
      ? {
          S3_ENDPOINT: s3Endpoint,
          S3_BUCKET: `scs-test-${run}-${id.replace(/_/g, '-')}`,
          S3_ACCESS_KEY: 'S3RVER',
          S3_SECRET_KEY: 'S3RVER',
          S3_REGION: 'us-east-1',
          S3_PATH_STYLE: true,
        }
      : {}),
    ...options.config,
  };

  const servers: RunningServer[] = [];
  let config: AppConfig;
  let server: RunningServer;
  const clock = new TestClock();
  try {
    config = loadConfig({}, overrides);
    server = await startServer(config, { logger: options.logger ?? false, clock });
    servers.push(server);
  } catch (err) {
    await dropDatabases([database]);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const client = (seed?: Uint8Array, blind?: boolean) => new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed, blind });

  return {
    url: server.url,
    adminUrl: server.adminUrl,
    config,
    server,
    prisma: withChangeBarrier(server.app.get(PrismaService), server.app.get(ChangeFeed)),
    serverPubkeyHex: server.serverKey.publicKeyHex,
    databaseUrl: config.DATABASE_URL,
    clock,
    newUser: ({ blind = true } = {}) => client(new Uint8Array(randomBytes(32)), blind),
    anon: () => client(),
    async startReplica(extra = {}) {
      const replica = await startServer(loadConfig({}, { ...overrides, ...extra }), { logger: false, clock });
      servers.push(replica);
      return replica;
    },
    async close() {
      // Replicas first, the main server last: its shutdown may still need the others' work done.
      for (const running of servers.reverse()) await running.close();
      await dropDatabases([database]);
      await deleteRedisKeys(REDIS_URL, `${redisPrefix}*`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Model operations that only read. */
const READS = new Set(['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'count', 'aggregate', 'groupBy']);

/**
 * Fixtures write straight to the database and expect the very next request to see it. The app
 * hears of such a change by notification a moment after the commit (as it hears of a replica's);
 * waiting on the change feed's barrier after each write makes that moment part of the write.
 */
function withChangeBarrier(prisma: PrismaService, feed: ChangeFeed): PrismaService {
  const client = prisma.$extends({
    query: {
      async $allOperations({ operation, args, query }) {
        const result = await query(args);
        if (!READS.has(operation)) await feed.sync();
        return result;
      },
    },
  });
  // The extended client has every method of the service the tests use; `pool` stays the app's.
  return Object.assign(client, { pool: prisma.pool }) as unknown as PrismaService;
}
