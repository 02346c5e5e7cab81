import type { FastifyInstance } from 'fastify';
import type { MetricsService } from './metrics.service';

/**
 * Counts every answered request by its route pattern (`/room/:token/message`), so labels stay
 * bounded; requests the onion gateway dispatches into the app pass through the same hook.
 */
export function installRequestMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', async (request, reply) => {
    // The inner router counts the requests it answers itself.
    if (request.routeOptions.config.innerRouter) return;
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}
