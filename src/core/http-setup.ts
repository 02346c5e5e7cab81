import type { FastifyInstance } from 'fastify';

/**
 * Every request body is kept as the raw Buffer: auth signs the exact bytes (spec §3.3) and the
 * gateway forwards them. JSON is parsed later, per route, by the JsonBody decorator.
 */
export function installRawBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
}
