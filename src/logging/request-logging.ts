import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/**
 * One line per answered request: request id (from the per-request child logger), method, route
 * pattern, status and duration. Never the query string, headers or body (they carry blinded ids,
 * signatures, nonces and message data).
 */
export function installRequestLogging(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', async (request, reply) => {
    // The inner router writes the line of the requests it answers itself.
    if (request.routeOptions.config.innerRouter) return;
    logRequest(request.log, request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime);
  });
}

/** The request line; the inner router writes one for every inner request (api/router.ts). */
export function logRequest(log: FastifyBaseLogger, method: string, route: string, status: number, elapsedMs: number): void {
  const line = { method, route, status, ms: Math.round(elapsedMs * 100) / 100 };
  // Successful requests only at debug: at thousands of polls a second an access line each costs CPU.
  if (status >= 500) log.error(line, 'request failed');
  else if (status >= 400) log.info(line, 'request refused');
  else log.debug(line, 'request completed');
}
