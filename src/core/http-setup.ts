import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** JSON_MAX_DEPTH of this server (issue 8: every cap is a config value). */
    jsonMaxDepth: number;
  }
}

/**
 * Every request body is kept as the raw Buffer: auth signs the exact bytes (spec §3.3) and the
 * gateway forwards them. JSON is parsed later, per route, by the JsonBody decorator.
 */
export function installRawBodyParser(fastify: FastifyInstance, bodyLimit: number, jsonMaxDepth = 64): void {
  // JsonBody reads the JSON_MAX_DEPTH of the server that received the request from here.
  fastify.decorateRequest('jsonMaxDepth', jsonMaxDepth);
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
}
