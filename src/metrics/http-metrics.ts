import type { FastifyInstance } from 'fastify';
import type { MetricsService } from './metrics.service';

/**
 * Counts every request the public listener answers by its route pattern (`/oxen/v4/lsrpc`), so
 * labels stay bounded. The requests inside an onion request are inner requests, counted by the
 * inner router under their own metric names: a sum over either metric counts each request once.
 */
export function installRequestMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  // A callback hook: an async one costs a promise per request for work that never waits.
  fastify.addHook('onResponse', (request, reply, done) => {
    // Direct routes (a debug setting) are one catch-all route here; the inner router labels them by pattern.
    const route = request.routeOptions.config.innerRouter ? 'direct' : (request.routeOptions.url ?? 'unmatched');
    metrics.observeHttpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
