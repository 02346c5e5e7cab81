import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolConfig } from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { APP_CONFIG, type AppConfig } from '../config/config';

/**
 * Bounds on every connection to PostgreSQL (DATABASE_*_TIMEOUT), so a database that stops
 * answering fails requests with a 503 instead of hanging them: the server cancels a slow statement
 * or lock wait itself; the client gives up a moment later on one that never answers (black hole).
 */
export function databaseTimeouts(
  config: AppConfig,
): Pick<PoolConfig, 'connectionTimeoutMillis' | 'query_timeout' | 'statement_timeout' | 'lock_timeout' | 'idle_in_transaction_session_timeout' | 'keepAlive'> {
  const ms = (seconds: number) => Math.round(seconds * 1000);
  return {
    connectionTimeoutMillis: ms(config.DATABASE_CONNECT_TIMEOUT),
    statement_timeout: ms(config.DATABASE_STATEMENT_TIMEOUT),
    query_timeout: ms(config.DATABASE_STATEMENT_TIMEOUT + 0.5),
    lock_timeout: ms(config.DATABASE_LOCK_TIMEOUT),
    idle_in_transaction_session_timeout: ms(config.DATABASE_IDLE_TRANSACTION_TIMEOUT),
    keepAlive: true,
  };
}

/** Prisma Client over the `pg` driver adapter (no native query engine, nothing downloaded). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  /** The connection pool, owned here so its use can be reported (metrics) and closed with the app. */
  readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pool = new Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE, ...databaseTimeouts(config) });
    // An idle client losing its connection (database restart) must not crash the process.
    pool.on('error', () => undefined);
    // Nor a lent one: pg-pool listens to a client only while it is idle, so a connection lost between
    // two of its holder's queries (a snapshot, a transaction) was an unhandled 'error' event. The
    // holder learns of it from its next query, and the pool drops the client when it comes back.
    pool.on('connect', (client) => client.on('error', () => undefined));
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.pool.end().catch(() => undefined);
  }

  /**
   * Moves each table's id sequence past its highest id, so rows written with ids of their own (an
   * import keeping the source's ids) never collide with new ones.
   */
  async resetIdSequences(tables: readonly string[]): Promise<void> {
    for (const table of tables) {
      await this.$executeRawUnsafe(
        `SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), GREATEST((SELECT max(id) FROM "${table}"), 1), (SELECT max(id) FROM "${table}") IS NOT NULL)`,
      );
    }
  }
}
