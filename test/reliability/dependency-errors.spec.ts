import { dependencyFailure } from '../../src/core/dependency-errors';

// The classifier behind the 503s of test/reliability/faults.spec.ts: dependency outages in the
// shapes pg, Prisma, ioredis, BullMQ and minio produce them are recognised; bugs and bad queries are not.
const err = (fields: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), fields);

it.each([
  ['pg refused', err({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED 127.0.0.1:5432'), 'network'],
  ['pg terminated', new Error('Connection terminated unexpectedly'), 'network'],
  ['Prisma P1001', err({ name: 'PrismaClientKnownRequestError', code: 'P1001' }), 'database'],
  ['Prisma pool timeout P2024', err({ name: 'PrismaClientKnownRequestError', code: 'P2024' }), 'database'],
  [
    'driver adapter, nested',
    err({ name: 'PrismaClientKnownRequestError', code: 'P2010', meta: { driverAdapterError: err({ name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } }) } }),
    'database',
  ],
  ['postgres shutting down (57P01)', err({ cause: { kind: 'postgres', code: '57P01' } }), 'database'],
  ['ioredis retries exhausted', err({ name: 'MaxRetriesPerRequestError' }), 'redis'],
  ['ioredis offline', new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'network'],
  ['minio S3 down', new AggregateError([err({ code: 'ECONNREFUSED' })], 'fetch failed'), 'network'],
  ['S3 InternalError', err({ name: 'S3Error', code: 'InternalError' }), 'storage'],
  ['pg query_timeout (black hole)', new Error('Query read timeout'), 'database'],
  ['statement_timeout (57014)', err({ cause: { kind: 'postgres', code: '57014' } }), 'database'],
  ['lock_timeout (55P03)', err({ cause: { kind: 'postgres', code: '55P03' } }), 'database'],
  ['ioredis commandTimeout', new Error('Command timed out'), 'redis'],
  ['job enqueue timeout', new Error('Command timed out (job queue)'), 'redis'],
  ['S3 request timeout', err({ code: 'ETIMEDOUT' }, 'S3 request timed out after 2500 ms'), 'storage'],
])('%s is a dependency failure', (_what, error, which) => {
  expect(dependencyFailure(error)).toBe(which);
});

it.each([
  ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ['unique violation', err({ name: 'PrismaClientKnownRequestError', code: 'P2002' })],
  ['bad value (22P02)', err({ cause: { kind: 'postgres', code: '22P02' } })],
  ['S3 NoSuchKey', err({ name: 'S3Error', code: 'NoSuchKey' })],
  ['a string', 'boom'],
  [
    'a cycle',
    (() => {
      const e: Record<string, unknown> = {};
      e.cause = e;
      return e;
    })(),
  ],
])('%s is not a dependency failure', (_what, error) => {
  expect(dependencyFailure(error)).toBeNull();
});
