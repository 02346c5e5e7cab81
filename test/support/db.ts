import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

// Where the tests find PostgreSQL and Redis (scripts/test.sh starts them when installed and stopped).
export const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Every database a test run creates is named `scs_t_<run>_…` and its template `scs_test_template_<run>`;
 * the run id (the jest parent's pid, set by global-setup) keeps parallel runs on one machine apart
 * and lets a later run drop what a killed one left behind.
 */
export const runId = (): string => process.env.SCS_TEST_RUN ?? String(process.pid);
export const templateName = (run: string = runId()): string => `scs_test_template_${run}`;
export const scratchName = (tag: string): string => `scs_t_${runId()}_${tag}_${randomBytes(4).toString('hex')}`;

export function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE, optionally as a copy of a template (retried while another copy holds the template). */
export async function createDatabase(name: string, template?: string): Promise<void> {
  await withAdmin(async (client) => {
    // FILE_COPY (PostgreSQL 15+) copies a small template several times faster than the WAL_LOG default.
    const { rows } = await client.query<{ v: string }>('SHOW server_version_num');
    const strategy = template && Number(rows[0].v) >= 150000 ? ' STRATEGY = FILE_COPY' : '';
    const sql = `CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}${strategy}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (err) {
        // 55006: "source database is being accessed by other users" (a concurrent copy)
        if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  });
}

export async function dropDatabases(names: string[]): Promise<void> {
  if (names.length === 0) return;
  await withAdmin(async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

export async function listDatabases(prefix: string): Promise<string[]> {
  return withAdmin(async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    return rows.map((r) => r.datname);
  });
}
