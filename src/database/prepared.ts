import { createHash } from 'node:crypto';
import { DatabaseError, type ClientBase, type Pool } from 'pg';
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

/** SQLSTATE classes not about the statement: connection (08), resources (53), operator intervention (57: cancelled, shut down), system (58), internal (XX). */
const NOT_THE_STATEMENT = /^(08|53|57|58|XX)/;

/**
 * Whether a statement run as its own transaction failed for a reason of its own (a constraint, a
 * deadlock, a bad value): PostgreSQL answered with an error, so nothing of it was stored. Not a
 * lost connection (the commit's outcome is unknown), nor the database being away, full or slow.
 */
export function statementRolledBack(err: unknown): boolean {
  return err instanceof DatabaseError && !NOT_THE_STATEMENT.test(err.code ?? '');
}
