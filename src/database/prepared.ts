import { createHash } from 'node:crypto';
import type { ClientBase, Pool } from 'pg';
import type { Prisma } from '../generated/prisma/client';

const names = new Map<string, string>();

/** A statement name that only this text can have (pg keeps named statements per connection). */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = 'scs_' + createHash('sha1').update(text).digest('hex').slice(0, 20);
    names.set(text, name);
  }
  return name;
}

/**
 * Runs a Prisma.sql query as a named prepared statement on the pg pool (issue 7): the hot reads of
 * a busy poll are parsed and planned once per connection, and skip Prisma's per-query compilation
 * and result mapping. Only for queries whose columns pg returns as the caller's types (int4,
 * float8, bool, text, bytea as Buffer); int8 would come back as a string.
 */
export async function queryPrepared<T>(pool: Pool | ClientBase, sql: Prisma.Sql): Promise<T[]> {
  const result = await pool.query({ name: statementName(sql.text), text: sql.text, values: sql.values });
  return result.rows as T[];
}
