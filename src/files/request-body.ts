import type { FastifyRequest } from 'fastify';

/** The raw request body (src/core/http-setup.ts keeps every body as a Buffer); none is empty. */
export function rawBody(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** A single header value; repeated headers take the first. */
export function headerValue(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
