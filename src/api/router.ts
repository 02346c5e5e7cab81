import { BadRequestException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyBaseLogger } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { z } from 'zod';
import { AuthFailure } from '../auth/auth-headers';
import { requireBlindUser, requireUser } from '../auth/auth-requirements';
import { AuthService } from '../auth/auth.service';
import type { SignedRequestInfo } from '../auth/auth.types';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { RetryReplies } from '../auth/retry-replies';
import { ChangeFeed } from '../cache/change-feed';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ERROR_CONTENT_TYPE, errorReply } from '../core/http-exception.filter';
import { parseJsonBody } from '../core/json-body';
import { logRequest } from '../logging/request-logging';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitedException } from '../rate-limit/rate-limiter';
import { RoomsService, type RoomAccess } from '../rooms/rooms.service';
import { AdmissionControl } from './admission';
import { decodeV4Reply, encodeV4Reply, type InnerRequest, type InnerResponse } from './inner-request';
import { InnerReply, type ErrorStyle, type InnerRoute, type QueryParams, type RequestScope, type RouteRequest } from './route';

/** The routes the router serves: every domain's declarations, gathered by the API module. */
export const INNER_ROUTES = Symbol('INNER_ROUTES');

/** The metrics and log label of a request no route matches (its path is never a label). */
const UNMATCHED = 'unmatched';

/** The label of requests refused before matching: over capacity, or past their onion request's deadline. */
const REFUSED = 'refused';

/** Clients may try again in a second: overload passes as fast as the load that caused it. */
const OVERLOADED: InnerResponse = {
  code: 503,
  headers: { 'content-type': ERROR_CONTENT_TYPE, 'retry-after': '1' },
  body: Buffer.from('Server is at capacity; try again shortly'),
};

const DEADLINE_PASSED: InnerResponse = {
  code: 503,
  headers: { 'content-type': ERROR_CONTENT_TYPE, 'retry-after': '1' },
  body: Buffer.from('Request deadline passed before this sub-request could run; try again'),
};

const noHandler = (): void => undefined;

/**
 * The one road of every inner request (DESIGN "One road"), whether it arrives from the onion
 * gateway, as a sub-request of /batch or /sequence, or on plain HTTP with ALLOW_DIRECT_ROUTES:
 * match → authenticate → enforce (the route's auth need and room permission) → validate → run →
 * reply or error → one metric sample and one log line. Routes are declared in the `*.routes.ts`
 * files (route.ts).
 */
@Injectable()
export class InnerRouter {
  private readonly routes = FindMyWay({ maxParamLength: 1024 });
  private readonly errorLogger = new Logger('HttpError');
  private readonly admission: AdmissionControl;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INNER_ROUTES) routes: InnerRoute[],
    private readonly auth: AuthService,
    private readonly rooms: RoomsService,
    private readonly retries: RetryReplies,
    private readonly changes: ChangeFeed,
    private readonly metrics: MetricsService,
  ) {
    for (const route of routes) this.routes.on(route.method, route.path, noHandler, route);
    this.admission = new AdmissionControl({
      maxInFlight: config.ADMISSION_MAX_IN_FLIGHT,
      maxQueue: config.ADMISSION_MAX_QUEUE,
      queueTimeoutMs: config.ADMISSION_QUEUE_TIMEOUT * 1000,
    });
  }

  /**
   * A request from outside: it authenticates itself, its nonce makes its retries safe (a retried
   * write gets the original's kept reply), and what it changed is in this process's caches before
   * the reply leaves (read-your-writes). `log`: the outer HTTP request's logger. Admission counts
   * from here, once the body is in: a slow upload's transfer is not a wait for a slot.
   */
  async handle(inner: InnerRequest, log?: FastifyBaseLogger): Promise<InnerResponse> {
    const queueFull = this.admission.waiting >= this.config.ADMISSION_MAX_QUEUE;
    const release = await this.admission.acquire();
    if (!release) {
      this.metrics.admissionRefusals.inc({ reason: queueFull ? 'queue_full' : 'queue_timeout' });
      return this.refuse(inner, log, OVERLOADED);
    }
    try {
      const limit = this.config.BATCH_MAX_REQUESTS;
      const deadline = performance.now() + this.config.REQUEST_DEADLINE * 1000;
      return await this.dispatch(inner, { log, budget: { limit, remaining: limit }, deadline });
    } finally {
      release();
    }
  }

  /** Runs one request in `scope` (a sub-request's scope carries the outer request's user). */
  readonly dispatch = async (inner: InnerRequest, scope: RequestScope): Promise<InnerResponse> => {
    const started = performance.now();
    // A sub-request not started before its onion request's deadline no longer runs.
    if (started > scope.deadline) return this.refuse(inner, scope.log, DEADLINE_PASSED);
    const found = this.routes.find(inner.method as HTTPMethod, inner.target);
    let res: InnerResponse;
    let label = UNMATCHED;
    if (!found) {
      const q = inner.target.indexOf('?');
      res = errorResponse(new NotFoundException(`Cannot ${inner.method} ${q < 0 ? inner.target : inner.target.slice(0, q)}`), 'text', this.errorLogger);
    } else {
      const route = found.store as InnerRoute;
      label = route.path;
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(found.params)) if (value !== undefined) params[name] = value;
      res = await this.run(route, params, found.searchParams, inner, scope);
    }
    const elapsed = performance.now() - started;
    this.metrics.observeInnerRequest(inner.method, label, res.code, elapsed / 1000);
    if (scope.log) logRequest(scope.log, inner.method, label, res.code, elapsed);
    return res;
  };

  private async run(route: InnerRoute, params: Record<string, string>, query: QueryParams, inner: InnerRequest, scope: RequestScope): Promise<InnerResponse> {
    const outer = scope.inheritedUser === undefined;
    // A GET has no body (as HTTP servers read it): none is signed or handed on.
    const body = inner.method === 'GET' ? undefined : (inner.body ?? Buffer.alloc(0));
    // Only an outer request's nonce is spent and its reply kept; a sub-request is part of it.
    const readOnly = outer && (route.readOnly ? route.readOnly(inner) : inner.method === 'GET');
    let signed: SignedRequestInfo | undefined;
    let res: InnerResponse;
    try {
      let user: AuthenticatedUser | null;
      if (outer) ({ user, signed } = await this.auth.authenticate({ method: inner.method, target: inner.target, headers: inner.headers, body, readOnly }));
      else user = scope.inheritedUser ?? null;
      if (route.auth === 'user') requireUser(user);
      else if (route.auth === 'blind-user') requireBlindUser(user);
      let access: RoomAccess | undefined;
      if (route.room) {
        const batchReads = inner.method === 'GET' ? scope.batchReads : undefined;
        access = await this.rooms.requireAccess(params.token ?? '', user, route.room, { anonymousForbidden: route.anonymousForbidden, batchReads });
      }
      for (const [name, check] of Object.entries(route.params ?? {})) params[name] = check(params[name] ?? '');
      const request: RouteRequest = {
        params,
        query,
        headers: inner.headers,
        user,
        access,
        body: route.body ? this.parseBody(route.body, body) : undefined,
        rawBody: body ?? Buffer.alloc(0),
        scope,
        dispatch: this.dispatch,
      };
      res = replyOf(await route.handle(request), route.status);
    } catch (err) {
      if (err instanceof AuthFailure && err.signed) signed = err.signed;
      res = errorResponse(err, route.errors, this.errorLogger);
    }
    if (!outer) return res;
    if (!readOnly) await this.changes.sync();
    if (signed?.retry) {
      const kept = await this.retries.original(signed);
      return kept ? decodeV4Reply(kept) : res;
    }
    if (signed && !readOnly) void this.retries.settle(signed, res.code, encodeV4Reply(res));
    return res;
  }

  /** A request refused before it runs (over capacity, past its deadline): counted and logged like any other. */
  private refuse(inner: InnerRequest, log: FastifyBaseLogger | undefined, res: InnerResponse): InnerResponse {
    this.metrics.observeInnerRequest(inner.method, REFUSED, res.code, 0);
    if (log) logRequest(log, inner.method, REFUSED, res.code, 0);
    return res;
  }

  /** The JSON body validated by the route's schema; 400 naming the first bad field. */
  private parseBody(schema: z.ZodType, body: Buffer | undefined): unknown {
    const parsed = schema.safeParse(parseJsonBody(body, this.config.JSON_MAX_DEPTH));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new BadRequestException(`Invalid request body: ${where}${issue.message}`);
  }
}

/** A handler's value as a response: JSON with the route's status unless it built its own reply. */
function replyOf(value: unknown, status: number): InnerResponse {
  if (value instanceof InnerReply) return value.response;
  return InnerReply.json(status, value).response;
}

/** Errors as the route's style: plain text with the status (protocol §5), or the file server's `{"status_code": N}`. */
function errorResponse(err: unknown, style: ErrorStyle, logger: Logger): InnerResponse {
  const { status, body } = errorReply(err, logger);
  const res =
    style === 'status-json'
      ? InnerReply.json(status, { status_code: status }).response
      : { code: status, headers: { 'content-type': ERROR_CONTENT_TYPE }, body: Buffer.from(body) };
  // A rate limit knows when its window frees enough: Retry-After in seconds (RFC 9110 §10.2.3).
  if (err instanceof RateLimitedException && err.retryAfter !== null) res.headers['retry-after'] = String(err.retryAfter);
  return res;
}
