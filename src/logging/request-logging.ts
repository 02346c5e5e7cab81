import type { FastifyInstance } from 'fastify';

/**
 * One line per answered request: request id (from the per-request child logger), method, route
 * pattern, status and duration. Never the query string, headers or body (they carry blinded ids,
 * signatures, nonces and message data).
 */
export function installRequestLogging(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const line = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status, ms: Math.round(reply.elapsedTime * 100) / 100 };
    // Successful requests only at debug: at thousands of polls a second an access line each costs CPU.
    if (status >= 500) request.log.error(line, 'request failed');
    else if (status >= 400) request.log.info(line, 'request refused');
    else request.log.debug(line, 'request completed');
  });
}
