import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { DispatchContext } from '../auth/auth.types';
import { MetricsService } from '../metrics/metrics.service';
import { ERROR_CONTENT_TYPE, errorReply } from '../core/http-exception.filter';
import { logRequest } from '../logging/request-logging';
import { directResponse, splitTarget, type DirectRoute } from './direct-routes';
import type { InnerRequest, InnerResponse } from './inner-request';

/** Header that marks an in-process dispatch; its value is only known to this process. */
export const DISPATCH_HEADER = 'x-sogs-dispatch';
/** Client-supplied headers never forwarded into a dispatch. */
export const FORBIDDEN_INNER_HEADERS: ReadonlySet<string> = new Set([DISPATCH_HEADER]);

export const GATEWAY_PATHS: readonly string[] = ['/oxen/v4/lsrpc', '/oxen/v3/lsrpc', '/loki/v3/lsrpc'];

/**
 * Paths answered to plain HTTP besides the gateway: the public web page (spec §6.10). Everything
 * else is an inner route and answers only dispatched requests (DESIGN: only the gateway is public).
 */
const PUBLIC_PATHS = new Set(['/', ...GATEWAY_PATHS]);
const PUBLIC_PREFIXES = ['/r/', '/static/'];

export function isPublicPath(url: string): boolean {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return PUBLIC_PATHS.has(path) || PUBLIC_PREFIXES.some((p) => path.startsWith(p));
}

export const DIRECT_REQUEST_REFUSED = 'Direct requests are not accepted: send this request through the onion gateway (POST /oxen/v4/lsrpc)';

/**
 * Response headers that describe the HTTP exchange, not the reply (spec §4.5 drops content-length).
 * `date` is not one of them: file downloads set it to the upload time (spec §4.7, §6.6); Node's own
 * automatic Date is switched off for dispatched requests instead (see admit).
 */
const EXCHANGE_HEADERS = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding']);

/**
 * Runs inner requests through the app's own Fastify instance (same routing, validation, auth and
 * error handling as any route; spec §4.7), and refuses plain HTTP requests to inner routes.
 */
@Injectable()
export class InternalDispatcher implements OnModuleInit {
  private readonly secret = randomBytes(16).toString('hex');
  private readonly contexts = new Map<string, DispatchContext>();
  private readonly logger = new Logger('InternalDispatcher');
  /** Errors of direct routes are logged as the exception filter logs them. */
  private readonly errorLogger = new Logger('HttpError');
  private seq = 0;
  private fastify!: FastifyInstance;
  private readonly directRoutes: DirectRoute[] = [];

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  /** Adds a direct route for batch sub-requests (see direct-routes.ts); modules call it at init. */
  registerDirect(route: DirectRoute): void {
    this.directRoutes.push(route);
  }

  onModuleInit(): void {
    this.fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    this.fastify.addHook('onRequest', (req, reply, done) => this.admit(req, reply, done));
  }

  async dispatch(inner: InnerRequest, context: DispatchContext): Promise<InnerResponse> {
    const scope = context.inheritedUser !== undefined ? (inner.method === 'GET' ? 'batch-read' : null) : 'gateway';
    if (scope) {
      const direct = await this.dispatchDirect(scope, inner, context);
      if (direct) return direct;
    }
    const id = `${this.secret}:${++this.seq}`;
    this.contexts.set(id, context);
    inner.headers[DISPATCH_HEADER] = id;
    try {
      const res = await this.fastify.inject({ method: inner.method as 'GET', url: inner.target, headers: inner.headers, payload: inner.body });
      return { code: res.statusCode, headers: replyHeaders(res.headers), body: res.rawPayload };
    } catch (err) {
      // Routes answer their own errors; this is the injection itself failing (a bug): it still
      // becomes an inner reply so the outer request keeps its 200.
      this.logger.error(`inner dispatch failed: ${(err as Error).stack ?? String(err)}`);
      return { code: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from('Internal server error') };
    } finally {
      this.contexts.delete(id);
    }
  }

  /** The answer of a direct route, if one takes the request; null when the full route must answer. */
  private async dispatchDirect(scope: DirectRoute['scope'], inner: InnerRequest, context: DispatchContext): Promise<InnerResponse | null> {
    const { path, query } = splitTarget(inner.target);
    let route: DirectRoute | undefined;
    let match: RegExpExecArray | null = null;
    for (const r of this.directRoutes) {
      if (r.scope === scope && r.method === inner.method && (match = r.path.exec(path))) {
        route = r;
        break;
      }
    }
    if (!route || !match) return null;
    const started = performance.now();
    let res: InnerResponse;
    try {
      const answer = await route.handle({
        params: match.slice(1),
        query,
        user: context.inheritedUser ?? null,
        context,
        method: inner.method,
        target: inner.target,
        headers: inner.headers,
        body: inner.body,
      });
      if (!answer) return null;
      res = directResponse(answer);
    } catch (err) {
      // batch-read: the full route meets the same failure and answers it (4xx, or 503 for an outage).
      if (scope === 'batch-read') return null;
      const { status, body } = errorReply(err, this.errorLogger);
      res = { code: status, headers: { 'content-type': ERROR_CONTENT_TYPE }, body: Buffer.from(body) };
    }
    const elapsed = performance.now() - started;
    this.metrics.observeRequest(inner.method, route.route, res.code, elapsed / 1000);
    if (context.log) logRequest(context.log, inner.method, route.route, res.code, elapsed);
    return res;
  }

  /** onRequest: attach the dispatch context of an internal request; refuse direct ones. */
  private admit(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const marker = req.headers[DISPATCH_HEADER];
    if (marker !== undefined) {
      // Whatever it says, the header is ours; a forged one only makes the request "direct".
      delete req.headers[DISPATCH_HEADER];
      const context = typeof marker === 'string' ? this.contexts.get(marker) : undefined;
      if (context) {
        req.sogsDispatch = context;
        // Only a Date the route sets itself belongs in the inner reply (spec §4.5: JSON replies carry
        // exactly {"content-type": "application/json"}).
        reply.raw.sendDate = false;
        return done();
      }
    }
    if (this.config.ALLOW_DIRECT_ROUTES || isPublicPath(req.url)) return done();
    void reply.code(403).header('content-type', 'text/plain; charset=utf-8').send(DIRECT_REQUEST_REFUSED);
  }
}

const JSON_TYPE_RE = /^application\/json\s*(;|$)/i;

/** Lower-case names, exchange headers dropped, content-type always present and exact for JSON. */
function replyHeaders(raw: OutgoingHttpHeaders): Record<string, string> {
  const type = raw['content-type'];
  const out: Record<string, string> = {
    'content-type': typeof type !== 'string' ? 'application/octet-stream' : JSON_TYPE_RE.test(type) ? 'application/json' : type,
  };
  for (const name in raw) {
    const value = raw[name];
    if (name === 'content-type' || EXCHANGE_HEADERS.has(name) || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
