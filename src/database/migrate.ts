import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

/*
 * Applies prisma/migrations/<name>/migration.sql in name order, without Prisma's native schema
 * engine (it cannot be downloaded on machines that reach only the npm registry). The bookkeeping
 * is Prisma's own `_prisma_migrations` table, row for row, so `prisma migrate deploy` and
 * `prisma migrate status` can take over wherever the engine is available, and vice versa.
 */

/** Prisma's schema engine takes this advisory lock too, so our runner and Prisma exclude each other. */
const MIGRATION_LOCK_KEY = 72707369;

// The table exactly as Prisma's schema engine creates it for PostgreSQL.
const BOOKKEEPING_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {}

export interface Migration {
  name: string;
  sql: string;
  /** sha256 hex of migration.sql, as Prisma records it. */
  checksum: string;
}

export interface MigrateOptions {
  /** Defaults to the prisma/migrations folder of this package. */
  migrationsDir?: string;
  log?: (line: string) => void;
}

export interface MigrateResult {
  database: string;
  created: boolean;
  applied: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** The package's prisma/migrations, found upwards from this file (src/ under jest, dist/src/ when built). */
export function defaultMigrationsDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(join(candidate, 'migration_lock.toml'))) return candidate;
    if (dirname(dir) === dir) throw new MigrationError('prisma/migrations/migration_lock.toml not found above ' + __dirname);
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Reads the migrations in the order Prisma applies them (folder names sort by their timestamp prefix). */
export function readMigrations(migrationsDir: string = defaultMigrationsDir()): Migration[] {
  const lock = readFileSync(join(migrationsDir, 'migration_lock.toml'), 'utf8');
  if (!/^\s*provider\s*=\s*"postgresql"\s*$/m.test(lock)) {
    throw new MigrationError(`${join(migrationsDir, 'migration_lock.toml')} does not name provider "postgresql"`);
  }
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(migrationsDir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: sha256(sql) };
    });
}

// Prisma accepts a checksum taken before or after a git checkout turned LF into CRLF.
function checksumMatches(migration: Migration, recorded: string): boolean {
  return recorded === migration.checksum || recorded === sha256(migration.sql.replace(/\r\n/g, '\n'));
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Creates the database named by databaseUrl through the server's `postgres` database if it is missing. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const probe = new Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: database does not exist
  } finally {
    await probe.end().catch(() => undefined);
  }
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    return true;
  } catch (err) {
    // Another replica created it first: 42P04 once committed, 23505 while both were racing.
    const code = (err as { code?: string }).code;
    if (code === '42P04' || code === '23505') return false;
    throw err;
  } finally {
    await admin.end();
  }
}

/**
 * Brings the database at databaseUrl up to date: creates it if missing, then, under an advisory
 * lock (several replicas or Jobs may start at once), applies each migration not yet recorded, each
 * in its own transaction together with its bookkeeping row. Refuses to run when a recorded
 * migration's file changed or an earlier migration is recorded as unfinished.
 */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const migrations = readMigrations(options.migrationsDir);
  const database = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  const created = await ensureDatabase(databaseUrl);
  if (created) log(`Created database ${database}`);

  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(BOOKKEEPING_TABLE);
    const { rows } = await client.query<AppliedRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at');
    const done = new Map<string, AppliedRow>();
    for (const row of rows) {
      if (row.rolled_back_at !== null) continue;
      if (row.finished_at === null) {
        throw new MigrationError(
          `Migration ${row.migration_name} is recorded as started but not finished in ${database}. ` +
            `Inspect the database, then mark it rolled back (prisma migrate resolve --rolled-back ${row.migration_name}, ` +
            `or set rolled_back_at on its _prisma_migrations row) before migrating again.`,
        );
      }
      done.set(row.migration_name, row);
    }
    const local = new Set(migrations.map((m) => m.name));
    for (const name of done.keys()) {
      if (!local.has(name)) log(`Warning: ${database} has migration ${name}, which is not in this build's prisma/migrations`);
    }
    for (const migration of migrations) {
      const row = done.get(migration.name);
      if (row && !checksumMatches(migration, row.checksum)) {
        throw new MigrationError(
          `Migration ${migration.name} was changed after it was applied to ${database} ` +
            `(recorded checksum ${row.checksum}, file ${migration.checksum}). Never edit an applied migration: ` +
            `restore the file and add a new migration instead.`,
        );
      }
    }

    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      await applyOne(client, migration);
      applied.push(migration.name);
      log(`Applied migration ${migration.name}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
  if (applied.length === 0) log(`Database ${database} is up to date (${migrations.length} migration(s) applied)`);
  return { database, created, applied };
}

async function applyOne(client: Client, migration: Migration): Promise<void> {
  const id = randomUUID();
  const startedAt = new Date();
  try {
    await client.query('BEGIN');
    // Simple-query protocol: the whole file runs as one multi-statement script, as Prisma runs it.
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, $4, 1)`,
      [id, migration.checksum, migration.name, startedAt],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = (err as Error).message;
    // The transaction left nothing behind, so the attempt is recorded as already rolled back: it
    // documents the failure without blocking the next run (Prisma ignores rolled-back rows).
    await client
      .query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
         VALUES ($1, $2, NULL, $3, $4, clock_timestamp(), $5, 0)`,
        [id, migration.checksum, migration.name, message, startedAt],
      )
      .catch(() => undefined);
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${message}`);
  }
}
