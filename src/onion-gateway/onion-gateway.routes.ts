import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InnerRouter } from '../api/router';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { OnionGatewayService, type OnionVersion } from './onion-gateway.service';
import { joinUrlRedirect } from '../web/join-url';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The inner router answers (and counts and logs) this route's requests itself. */
    innerRouter?: boolean;
  }
}

const ROUTES: ReadonlyArray<[string, OnionVersion]> = [
  ['/oxen/v4/lsrpc', 'v4'],
  ['/oxen/v3/lsrpc', 'v3'],
  ['/loki/v3/lsrpc', 'v3'],
];

const TEXT = 'text/plain; charset=utf-8';

/**
 * Paths answered to plain HTTP besides the gateway: the public web page (protocol §6.10). Anything
 * else is an inner route and answers only onion requests (DESIGN: only the gateway is public).
 */
const PUBLIC_PATHS = new Set(['/', ...ROUTES.map(([path]) => path)]);
const PUBLIC_PREFIXES = ['/r/', '/static/'];

function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(path) || PUBLIC_PREFIXES.some((p) => path.startsWith(p));
}

export const DIRECT_REQUEST_REFUSED = 'Direct requests are not accepted: send this request through the onion gateway (POST /oxen/v4/lsrpc)';

/**
 * The public doors, registered on Fastify directly. The three onion endpoints (protocol §4.1): the
 * outer request from a service node needs none of Nest's pipeline (the inner request takes the
 * inner router's), and the route owns its error status: whatever fails before decryption is an
 * outer 400 with a plain-text reason (protocol §4.2), including a body over ONION_MAX_BODY. Every
 * other path that is not the web page is refused with 403, or, with ALLOW_DIRECT_ROUTES (a debug
 * flag), handed to the same inner router as plain HTTP.
 */
@Injectable()
export class OnionGatewayRoutes implements OnModuleInit {
  private readonly logger = new Logger('OnionGateway');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: OnionGatewayService,
    private readonly router: InnerRouter,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    for (const [path, version] of ROUTES) {
      fastify.post(path, { bodyLimit: this.config.ONION_MAX_BODY, errorHandler: (err, _req, reply) => void this.refuse(err, reply) }, (req, reply) =>
        this.serve(version, req, reply),
      );
    }
    const direct = this.config.ALLOW_DIRECT_ROUTES;
    fastify.all('*', { config: { innerRouter: direct } }, (req, reply) => (direct ? this.serveDirect(req, reply) : this.refuseDirect(req, reply)));
  }

  private refuseDirect(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    // A public path with no such route (e.g. POST /) is simply not found, as for any web server.
    if (isPublicPath(path)) return reply.code(404).header('content-type', TEXT).send(`Cannot ${req.method} ${path}`);
    const page = joinUrlRedirect(req.method, req.url, req.headers.accept);
    if (page) return reply.code(302).header('location', page).send();
    return reply.code(403).header('content-type', TEXT).send(DIRECT_REQUEST_REFUSED);
  }

  /** ALLOW_DIRECT_ROUTES: a plain HTTP request runs through the inner router as if it had come through the gateway. */
  private async serveDirect(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const body = Buffer.isBuffer(req.body) ? req.body : undefined;
    const res = await this.router.handle({ method: req.method, target: req.url, headers, body }, req.log);
    return reply.code(res.code).headers(res.headers).send(res.body);
  }

  private async serve(version: OnionVersion, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const outcome = await this.gateway.handle(version, body, req.log);
    if (!outcome.ok) return reply.code(400).header('content-type', TEXT).send(outcome.reason);
    const type = version === 'v4' ? 'application/octet-stream' : TEXT;
    return reply.code(200).header('content-type', type).send(outcome.payload);
  }

  /** Fastify's own refusals (body over the cap, unreadable body) as the gateway's outer 400. */
  private refuse(err: FastifyError, reply: FastifyReply): FastifyReply {
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      const tooLarge = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
      const { reason } = this.gateway.refuse(
        tooLarge ? ['body_too_large', `Invalid onion request: body exceeds ${this.config.ONION_MAX_BODY} bytes`] : ['body', `Invalid onion request: ${err.message}`],
      );
      return reply.code(400).header('content-type', TEXT).send(reason);
    }
    // The process is receiving too many bodies at once (core/body-budget.ts): the client may retry.
    if (err.statusCode === 503) return reply.code(503).header('content-type', TEXT).send(err.message);
    this.logger.error(err.stack ?? err.message);
    return reply.code(500).header('content-type', TEXT).send('Internal server error');
  }
}
