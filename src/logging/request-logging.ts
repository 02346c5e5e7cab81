import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/**
 * One line per answered request: request id (from the per-request child logger), method, route
 * pattern, status and duration. Never the query string, headers or body (they carry blinded ids,
 * signatures, nonces and message data).
 */
export function installRequestLogging(fastify: FastifyInstance): void {
  // A callback hook: an async one costs a promise per request for work that never waits.
  fastify.addHook('onResponse', (request, reply, done) => {
    // The inner router writes the line of the requests it answers itself.
    if (!request.routeOptions.config.innerRouter) logRequest(request.log, request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime);
    done();
  });
}

/** Logger levels at which a `debug` line is written. */
const WRITES_DEBUG: ReadonlySet<string> = new Set(['debug', 'trace']);

/** The request line; the inner router writes one for every inner request (api/router.ts). */
export function logRequest(log: FastifyBaseLogger, method: string, route: string, status: number, elapsedMs: number): void {
  // Successful requests only at debug: at thousands of polls a second an access line each costs
  // CPU, and so does building one nobody writes (every sub-request of every poll).
  if (status < 400 && !WRITES_DEBUG.has(log.level)) return;
  const line = { method, route, status, ms: Math.round(elapsedMs * 100) / 100 };
  if (status >= 500) log.error(line, 'request failed');
  else if (status >= 400) log.info(line, 'request refused');
  else log.debug(line, 'request completed');
}
