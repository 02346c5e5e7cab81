import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { OnionGatewayService, type OnionVersion } from './onion-gateway.service';

const ROUTES: ReadonlyArray<[string, OnionVersion]> = [
  ['/oxen/v4/lsrpc', 'v4'],
  ['/oxen/v3/lsrpc', 'v3'],
  ['/loki/v3/lsrpc', 'v3'],
];

const TEXT = 'text/plain; charset=utf-8';

/**
 * The three public endpoints (spec §4.1), registered on Fastify directly: the outer request from a
 * service node needs none of Nest's guards or pipes (the inner request gets all of them), and the
 * route owns its error status: whatever fails before decryption is an outer 400 with a plain-text
 * reason (spec §4.2), including a body over ONION_MAX_BODY.
 */
@Injectable()
export class OnionGatewayRoutes implements OnModuleInit {
  private readonly logger = new Logger('OnionGateway');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: OnionGatewayService,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    for (const [path, version] of ROUTES) {
      fastify.post(path, { bodyLimit: this.config.ONION_MAX_BODY, errorHandler: (err, _req, reply) => this.refuse(err, reply) }, (req, reply) =>
        this.serve(version, req, reply),
      );
    }
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
    this.logger.error(err.stack ?? err.message);
    return reply.code(500).header('content-type', TEXT).send('Internal server error');
  }
}
