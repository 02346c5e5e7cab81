import Database from 'better-sqlite3';
import { Client } from 'pg';

export type Row = Record<string, unknown>;

/**
 * A pysogs database (protocol §8), SQLite file or PostgreSQL URL: the same tables and columns in both;
 * SQLite booleans arrive as 0/1 and are normalised by the readers of each column.
 */
export interface PysogsSource {
  hasTable(table: string): Promise<boolean>;
  /** Rows of `table` ordered by `orderBy`, read `pageSize` at a time so large tables stream. */
  pages(table: string, orderBy: string, pageSize: number): AsyncIterable<Row[]>;
  count(table: string): Promise<number>;
  close(): Promise<void>;
}

const IDENT = /^[a-z_]+$/;
function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`bad identifier ${name}`);
  return `"${name}"`;
}

class SqliteSource implements PysogsSource {
  private readonly db: Database.Database;
  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }
  async hasTable(table: string): Promise<boolean> {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  }
  async count(table: string): Promise<number> {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${ident(table)}`).get() as { n: number }).n;
  }
  async *pages(table: string, orderBy: string, pageSize: number): AsyncIterable<Row[]> {
    const stmt = this.db.prepare(`SELECT * FROM ${ident(table)} ORDER BY ${orderBy} LIMIT ? OFFSET ?`);
    for (let offset = 0; ; offset += pageSize) {
      const rows = stmt.all(pageSize, offset) as Row[];
      if (rows.length) yield rows;
      if (rows.length < pageSize) return;
    }
  }
  async close(): Promise<void> {
    this.db.close();
  }
}

class PostgresSource implements PysogsSource {
  private constructor(private readonly client: Client) {}
  static async connect(url: string): Promise<PostgresSource> {
    const client = new Client({ connectionString: url });
    await client.connect();
    return new PostgresSource(client);
  }
  async hasTable(table: string): Promise<boolean> {
    const { rows } = await this.client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
    return rows[0].present === true;
  }
  async count(table: string): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(table)}`);
    return rows[0].n;
  }
  async *pages(table: string, orderBy: string, pageSize: number): AsyncIterable<Row[]> {
    for (let offset = 0; ; offset += pageSize) {
      const { rows } = await this.client.query(`SELECT * FROM ${ident(table)} ORDER BY ${orderBy} LIMIT $1 OFFSET $2`, [pageSize, offset]);
      if (rows.length) yield rows as Row[];
      if (rows.length < pageSize) return;
    }
  }
  async close(): Promise<void> {
    await this.client.end();
  }
}

/** `postgres://…`/`postgresql://…` opens PostgreSQL; anything else is a SQLite file path (or `sqlite:///path`). */
export async function openPysogsSource(location: string): Promise<PysogsSource> {
  if (/^postgres(ql)?:\/\//.test(location)) return PostgresSource.connect(location);
  return new SqliteSource(location.replace(/^sqlite:\/\/\//, ''));
}
