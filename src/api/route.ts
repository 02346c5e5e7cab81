import type { FastifyBaseLogger } from 'fastify';
import type { z } from 'zod';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { PermissionNeed } from '../rooms/permissions';
import type { RoomAccess } from '../rooms/rooms.service';
import type { InnerRequest, InnerResponse } from './inner-request';

/*
 * Inner routes are declared once, as data (method, path pattern, authentication, room permission,
 * body schema, handler), and run by the one InnerRouter (router.ts), whether a request comes
 * straight from the onion gateway or inside a /batch or /sequence. A handler is the route's whole
 * wire shape: it turns the validated request into a service call and the service's answer into
 * the reply; the rules live in the services.
 */

export type InnerMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * What a route needs of the requester (protocol §3.4): `optional` authenticates a signed request
 * and lets anonymous ones through; `user` answers anonymous requests 401; `blind-user` also
 * answers unblinded (05) users 401.
 */
export type AuthNeed = 'optional' | 'user' | 'blind-user';

/** How a route answers errors: plain text with the status (SOGS), or `{"status_code": N}` (file server, protocol §12). */
export type ErrorStyle = 'text' | 'status-json';

/** Query parameters as parsed from the signed target: repeated names become arrays. */
export type QueryParams = Record<string, string | string[] | undefined>;

/**
 * Per request (and shared by the sub-requests of one batch): what lets the router bound and share
 * the work of one onion request.
 */
export interface RequestScope {
  /** The outer request's logger (its request id): each inner request writes its line with it. */
  log?: FastifyBaseLogger;
  /** Sub-requests of a /batch or /sequence: the outer request's user; their own X-SOGS-* headers are ignored (protocol §6.1). */
  inheritedUser?: AuthenticatedUser | null;
  /** GET sub-requests of one /batch run as if at one instant and share reads (a room and the user's permissions in it). */
  batchReads?: Map<string, Promise<unknown>>;
  /** Sub-requests still allowed for this onion request, across every nesting level (hardening: nested batches). */
  budget: { readonly limit: number; remaining: number };
  /** performance.now() after which no further sub-request of this onion request starts. */
  deadline: number;
}

/** A handler's reply when it is not a JSON value with the route's status. */
export class InnerReply {
  constructor(readonly response: InnerResponse) {}

  /** 304 with an empty body: nothing new since the client's last poll (protocol §6.9). */
  static notModified(): InnerReply {
    return new InnerReply({ code: 304, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.alloc(0) });
  }

  /** JSON already encoded (a batch's reply array, spliced from its sub-replies), or a JSON value with a status of its own. */
  static json(code: number, json: unknown): InnerReply {
    const body = Buffer.isBuffer(json) ? json : Buffer.from(JSON.stringify(json) ?? '');
    return new InnerReply({ code, headers: { 'content-type': 'application/json' }, body });
  }

  /** Opaque bytes with the route's own headers (downloads): names lower-case, content-type included. */
  static bytes(headers: Record<string, string>, body: Buffer): InnerReply {
    return new InnerReply({ code: 200, headers, body });
  }
}

type UserFor<A extends AuthNeed, R extends PermissionNeed | undefined> = A extends 'optional'
  ? R extends 'moderator' | 'admin'
    ? AuthenticatedUser // only a signed-in user can hold these permissions
    : AuthenticatedUser | null
  : AuthenticatedUser;

/** What a handler receives: everything validated, with the types its declaration implies. */
export interface RouteRequest<A extends AuthNeed = AuthNeed, R extends PermissionNeed | undefined = PermissionNeed | undefined, B = unknown> {
  /** Path parameters, percent-decoded; a wildcard tail is `*`. */
  params: Record<string, string>;
  query: QueryParams;
  headers: Record<string, string>;
  user: UserFor<A, R>;
  /** The room of the `:token` parameter and the requester's permissions in it, when the route declares `room`. */
  access: R extends PermissionNeed ? RoomAccess : undefined;
  /** The JSON body validated by the route's `body` schema. */
  body: B;
  /** The body bytes as received (empty for none). */
  rawBody: Buffer;
  scope: RequestScope;
  /** Runs a sub-request through the router with the given scope (only /batch and /sequence need it). */
  dispatch(inner: InnerRequest, scope: RequestScope): Promise<InnerResponse>;
}

export interface RouteSpec<A extends AuthNeed, R extends PermissionNeed | undefined, S extends z.ZodType | undefined> {
  method: InnerMethod;
  /** find-my-way pattern: `/room/:token/message/:msg_id`, a trailing `*` for a tail containing `/`. */
  path: string;
  /** Default `optional`. */
  auth?: A;
  /** The room permission of the `:token` parameter the requester needs (protocol §3.4 statuses). */
  room?: R;
  /** Anonymous requesters get 403 instead of 401 for a moderator/admin room permission (the pin routes, protocol §6.5). */
  anonymousForbidden?: boolean;
  /**
   * Path parameters checked (and normalised) before the body is read: a value a validator refuses
   * names nothing (it throws, e.g. 404 for a malformed session id, protocol §2.2).
   */
  params?: Record<string, (raw: string) => string>;
  /** The JSON body's schema: a body that does not parse or match is a 400 naming the first bad field. */
  body?: S;
  /** Status of a JSON value the handler returns; default 200. */
  status?: number;
  /** Default `text`. */
  errors?: ErrorStyle;
  /**
   * Whether this request only reads (default: it is a GET): the retry of a read runs again, the
   * retry of a write gets the kept reply (protocol §3.2, retries).
   */
  readOnly?: (inner: InnerRequest) => boolean;
  handle(req: RouteRequest<A, R, S extends z.ZodType ? z.infer<S> : undefined>): unknown;
}

/** A declared route with its types erased, as the router holds it. */
export interface InnerRoute {
  method: InnerMethod;
  path: string;
  auth: AuthNeed;
  room?: PermissionNeed;
  anonymousForbidden: boolean;
  params?: Record<string, (raw: string) => string>;
  body?: z.ZodType;
  status: number;
  errors: ErrorStyle;
  readOnly?: (inner: InnerRequest) => boolean;
  handle(req: RouteRequest): unknown;
}

/** Declares a route; the handler's request is typed from the declaration. */
export function route<A extends AuthNeed = 'optional', R extends PermissionNeed | undefined = undefined, S extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<A, R, S>,
): InnerRoute {
  return {
    method: spec.method,
    path: spec.path,
    auth: spec.auth ?? 'optional',
    room: spec.room,
    anonymousForbidden: spec.anonymousForbidden ?? false,
    params: spec.params,
    body: spec.body,
    status: spec.status ?? 200,
    errors: spec.errors ?? 'text',
    readOnly: spec.readOnly,
    // The router hands each handler exactly the request its declaration describes.
    handle: (req) => spec.handle(req as Parameters<typeof spec.handle>[0]),
  };
}

/** A provider of routes (one per domain); the API module lists them. */
export interface RouteSource {
  routes(): InnerRoute[];
}
