import type { FastifyInstance } from 'fastify';

/**
 * Every request body is kept as the raw Buffer: auth signs the exact bytes (protocol §3.3) and the
 * gateway decrypts them. Inner routes parse JSON themselves (api/router.ts).
 */
export function installRawBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
}
