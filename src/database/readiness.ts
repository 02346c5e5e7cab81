import { Client } from 'pg';
import type { AppConfig } from '../config/config';
import { readMigrations } from './migrate';

/** The database cannot serve this version yet; the message says what is wrong and what to do, in one sentence. */
export class DatabaseNotReady extends Error {}

const MIGRATE = 'run npm run db:migrate (it creates the database if missing and applies the migrations)';

/** host:port and database name of a postgresql:// URL, for messages (never the password). */
function describeUrl(databaseUrl: string): { where: string; database: string; user: string } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new DatabaseNotReady('DATABASE_URL is not a URL: it must look like postgresql://user:password@host:5432/database');
  }
  const user = decodeURIComponent(url.username) || 'postgres';
  return { where: `${url.hostname || 'localhost'}:${url.port || '5432'}`, database: decodeURIComponent(url.pathname.replace(/^\//, '')) || user, user };
}

/** A failed connection as a sentence: unreachable, no such database, refused login, or the driver's own words. */
export function describeConnectError(err: unknown, databaseUrl: string, timeoutSeconds: number): string {
  const { where, database, user } = describeUrl(databaseUrl);
  const e = err as { code?: string; message?: string };
  const start = 'start it (npm run serve starts a local one; Debian/Ubuntu: sudo apt-get install postgresql), or set DATABASE_URL to a running server';
  switch (e.code) {
    case 'ECONNREFUSED':
      return `Cannot reach PostgreSQL at ${where} (connection refused): ${start}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot reach PostgreSQL at ${where}: no such host; check DATABASE_URL`;
    case '3D000':
      return `Database ${database} does not exist on ${where}: ${MIGRATE}`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused user ${user} (${e.message ?? 'authentication failed'}): check the user and password in DATABASE_URL`;
  }
  if (/timeout/i.test(e.message ?? '')) return `PostgreSQL at ${where} did not answer within ${timeoutSeconds}s (DATABASE_CONNECT_TIMEOUT): ${start}`;
  return `Cannot connect to PostgreSQL at ${where}: ${e.message ?? String(err)}`;
}

/**
 * Checks, within DATABASE_CONNECT_TIMEOUT plus one statement, that the database of DATABASE_URL can
 * be reached, exists and has every migration of this version, so a command that needs it fails at
 * once with what to do instead of with a driver error halfway through.
 */
export async function checkDatabase(config: AppConfig, migrationsDir?: string): Promise<void> {
  const { where, database } = describeUrl(config.DATABASE_URL);
  const client = new Client({
    connectionString: config.DATABASE_URL,
    connectionTimeoutMillis: Math.round(config.DATABASE_CONNECT_TIMEOUT * 1000),
    query_timeout: Math.round((config.DATABASE_STATEMENT_TIMEOUT + 0.5) * 1000),
  });
  // A connection lost after connect() is reported by the query that fails.
  client.on('error', () => undefined);
  try {
    try {
      await client.connect();
    } catch (err) {
      throw new DatabaseNotReady(describeConnectError(err, config.DATABASE_URL, config.DATABASE_CONNECT_TIMEOUT));
    }
    const { rows: bookkeeping } = await client.query<{ present: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`);
    if (!bookkeeping[0].present) throw new DatabaseNotReady(`Database ${database} on ${where} has no tables: ${MIGRATE}`);
    const { rows } = await client.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
    const applied = new Set(rows.map((r) => r.migration_name));
    const pending = readMigrations(migrationsDir).filter((m) => !applied.has(m.name));
    if (pending.length > 0) {
      throw new DatabaseNotReady(`Database ${database} on ${where} lacks ${pending.length} migration(s) of this version (${pending[0].name} first): ${MIGRATE}`);
    }
  } catch (err) {
    if (err instanceof DatabaseNotReady) throw err;
    throw new DatabaseNotReady(`Database ${database} on ${where} cannot be checked: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
