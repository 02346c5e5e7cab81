// Recognises "a dependency is away" errors (PostgreSQL via Prisma/pg, Redis via ioredis/BullMQ,
// S3 via minio, or a plain socket), so the exception filters answer 503 with a reason instead of a
// 500: the request could not be served now, and a retry later will be (issue 8: faults). Pure.
import { DatabaseError } from 'pg';

/** Socket-level failures: the peer is down, unreachable or went away mid-request. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Prisma error codes for an unreachable, closed or exhausted database (not for bad queries). */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
/** Driver-adapter error kinds with the same meaning. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown). */
const PG_STATE = /^(08|57P0[1-3])/;
/** statement_timeout (57014 query_canceled) and lock_timeout (55P03): the database is too slow now. */
const PG_TIMEOUT_STATES = new Set(['57014', '55P03']);
/** Messages of pg, ioredis and BullMQ connection failures that carry no code. */
const MESSAGES = [
  /Connection terminated/i,
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /max retries per request/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Can't reach database server/i,
  /Server has closed the connection/i,
  /socket hang up/i,
];
/** Timeouts this server sets (issue 19 item 3), by the dependency that did not answer in time. */
const TIMEOUTS: Array<[RegExp, string]> = [
  [/^Query read timeout$/, 'database'],
  [/^Command timed out/, 'redis'],
  [/^S3 request timed out/, 'storage'],
];
/** S3 answers that mean "the store is overloaded or down", not "your request is wrong". */
const S3_CODES = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout']);

type ErrorLike = { code?: unknown; kind?: unknown; name?: unknown; message?: unknown; cause?: unknown; meta?: unknown; errors?: unknown; statusCode?: unknown };

/** Which dependency failed ('database', 'redis', 'storage' or 'network'), or null if this is no dependency failure. */
export function dependencyFailure(error: unknown): string | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  let which: string | null = null;
  while (queue.length && seen.size < 16) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const err = e as ErrorLike;
    const code = typeof err.code === 'string' ? err.code : '';
    const name = typeof err.name === 'string' ? err.name : '';
    const message = typeof err.message === 'string' ? err.message : '';
    if (PRISMA_CODES.has(code) || name === 'PrismaClientInitializationError' || (typeof err.kind === 'string' && ADAPTER_KINDS.has(err.kind))) return 'database';
    // Through Prisma's adapter (kind postgres) or straight from pg (the prepared statements of src/database/prepared.ts).
    const postgres = (typeof err.kind === 'string' && err.kind === 'postgres') || e instanceof DatabaseError;
    if (postgres && (PG_STATE.test(code) || PG_TIMEOUT_STATES.has(code))) return 'database';
    const timeout = TIMEOUTS.find(([m]) => m.test(message));
    if (timeout) return timeout[1];
    if (name === 'MaxRetriesPerRequestError') return 'redis';
    if (name === 'S3Error' && S3_CODES.has(code)) return 'storage';
    if (NETWORK_CODES.has(code) || MESSAGES.some((m) => m.test(message))) which = 'network';
    queue.push(err.cause, (err.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError);
    if (Array.isArray(err.errors)) queue.push(...(err.errors as unknown[]));
  }
  return which;
}
