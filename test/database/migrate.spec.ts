import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { defaultMigrationsDir, migrate, MigrationError, readMigrations } from '../../src/database/migrate';
import { databaseUrl, dropDatabases, listDatabases, scratchName } from '../support/db';

// Issue 2: one engine-free migrate command that creates and migrates a database, keeps Prisma's
// bookkeeping, is safe when several replicas start at once, and refuses edited history.
describe('migrate()', () => {
  const created: string[] = [];
  const dirs: string[] = [];
  const fresh = () => {
    const name = scratchName('mig');
    created.push(name);
    return { name, url: databaseUrl(name) };
  };
  const copyOfMigrations = () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-migrations-'));
    dirs.push(dir);
    cpSync(defaultMigrationsDir(), dir, { recursive: true });
    return dir;
  };
  async function query<T extends object>(url: string, sql: string): Promise<T[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  afterAll(async () => {
    await dropDatabases(created);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a missing database, applies every migration once and records it as Prisma does', async () => {
    const { name, url } = fresh();
    const migrations = readMigrations();
    expect(migrations.length).toBeGreaterThan(0);

    const first = await migrate(url);
    expect(first).toEqual({ database: name, created: true, applied: migrations.map((m) => m.name) });
    expect(await listDatabases(name)).toEqual([name]);

    const second = await migrate(url);
    expect(second).toEqual({ database: name, created: false, applied: [] });

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
      logs: string | null;
      id: string;
    }>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
    expect(rows).toHaveLength(migrations.length);
    for (const [i, row] of rows.entries()) {
      const file = readFileSync(join(defaultMigrationsDir(), row.migration_name, 'migration.sql'));
      expect(row.migration_name).toBe(migrations[i].name);
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it("keeps Prisma's own _prisma_migrations table layout", async () => {
    const { url } = fresh();
    await migrate(url);
    const columns = await query<{ column_name: string; data_type: string; is_nullable: string; character_maximum_length: number | null }>(
      url,
      `SELECT column_name, data_type, is_nullable, character_maximum_length FROM information_schema.columns
        WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO', character_maximum_length: 36 },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO', character_maximum_length: 64 },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES', character_maximum_length: null },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO', character_maximum_length: 255 },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES', character_maximum_length: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES', character_maximum_length: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO', character_maximum_length: null },
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO', character_maximum_length: null },
    ]);
  });

  it('is safe when several replicas migrate a missing database at the same moment', async () => {
    const { url } = fresh();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url), migrate(url)]);
    const applied = results.flatMap((r) => r.applied);
    expect(applied).toEqual(readMigrations().map((m) => m.name));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const rows = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM "_prisma_migrations"');
    expect(Number(rows[0].n)).toBe(readMigrations().length);
  });

  it('applies a new migration after the ones already applied', async () => {
    const { url } = fresh();
    const dir = copyOfMigrations();
    await migrate(url, { migrationsDir: dir });
    mkdirSync(join(dir, '29991231235959_add_nickname'));
    writeFileSync(join(dir, '29991231235959_add_nickname', 'migration.sql'), '-- AlterTable\nALTER TABLE "users" ADD COLUMN "nickname" TEXT;\n');
    const lines: string[] = [];
    const result = await migrate(url, { migrationsDir: dir, log: (line) => lines.push(line) });
    expect(result.applied).toEqual(['29991231235959_add_nickname']);
    expect(lines).toEqual(['Applied migration 29991231235959_add_nickname']);
    expect(await query(url, 'SELECT nickname FROM users')).toEqual([]);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const { url } = fresh();
    const dir = copyOfMigrations();
    await migrate(url, { migrationsDir: dir });
    const [first] = readMigrations(dir);
    appendFileSync(join(dir, first.name, 'migration.sql'), '\n-- an innocent-looking edit\n');
    await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(MigrationError);
    await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(`Migration ${first.name} was changed after it was applied`);
  });

  it('accepts a migration whose line endings a checkout turned into CRLF', async () => {
    const { url } = fresh();
    const dir = copyOfMigrations();
    await migrate(url, { migrationsDir: dir });
    const [first] = readMigrations(dir);
    writeFileSync(join(dir, first.name, 'migration.sql'), first.sql.replace(/\n/g, '\r\n'));
    await expect(migrate(url, { migrationsDir: dir })).resolves.toMatchObject({ applied: [] });
  });

  it('rolls a failing migration back completely, records it as rolled back, and applies the fixed one next time', async () => {
    const { url } = fresh();
    const dir = copyOfMigrations();
    await migrate(url, { migrationsDir: dir });
    const name = '29991231235959_broken';
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER);\nALTER TABLE "no_such_table" ADD COLUMN "x" INTEGER;\n');
    await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(`Migration ${name} failed and was rolled back: relation "no_such_table" does not exist`);
    expect(await query(url, `SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
    const failed = await query<{ finished_at: Date | null; rolled_back_at: Date | null; logs: string }>(
      url,
      `SELECT finished_at, rolled_back_at, logs FROM "_prisma_migrations" WHERE migration_name = '${name}'`,
    );
    expect(failed).toEqual([{ finished_at: null, rolled_back_at: expect.any(Date), logs: 'relation "no_such_table" does not exist' }]);

    writeFileSync(join(dir, name, 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER);\n');
    await expect(migrate(url, { migrationsDir: dir })).resolves.toMatchObject({ applied: [name] });
  });

  it('refuses to run over a migration recorded as started but never finished', async () => {
    const { url } = fresh();
    await migrate(url);
    const [first] = readMigrations();
    await query(url, `UPDATE "_prisma_migrations" SET finished_at = NULL WHERE migration_name = '${first.name}'`);
    await expect(migrate(url)).rejects.toThrow(`Migration ${first.name} is recorded as started but not finished`);
  });
});
