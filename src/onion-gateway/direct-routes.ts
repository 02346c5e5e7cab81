import { parse as parseQueryString } from 'node:querystring';
import type { DispatchContext } from '../auth/auth.types';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { InnerResponse } from './inner-request';

/*
 * Direct routes (issue 7): the requests every poll repeats, answered by calling their services
 * straight away instead of a round through Fastify's injection and Nest's pipeline (which cost
 * more than the cached reads behind them). Two kinds:
 * - `batch-read`: GET sub-requests of a /batch (pollInfo, messages/since, inbox/outbox since). Only
 *   the plain success is answered: for anything else the route answers null and the full route
 *   runs, so every refusal keeps its one implementation (guards, pipes, filter).
 * - `gateway`: a request straight from the onion gateway (POST /batch, /sequence). It authenticates
 *   itself, so it must answer every outcome: a thrown error becomes the exception filter's reply.
 */

export interface DirectRequest {
  /** The path pattern's captures, in order. */
  params: string[];
  /** Parsed like Fastify's query string: repeated names become arrays. */
  query: Record<string, string | string[] | undefined>;
  /** `batch-read`: the enclosing batch's user; `gateway`: undefined (the route authenticates). */
  user: AuthenticatedUser | null;
  context: DispatchContext;
  method: string;
  /** Path and query as signed. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** A 200 with a JSON value or already encoded JSON, a 304, or null: let the full route answer. */
export type DirectAnswer = { json: unknown } | { jsonBytes: Buffer } | { notModified: true } | null;

export interface DirectRoute {
  scope: 'batch-read' | 'gateway';
  method: 'GET' | 'POST';
  /** The full route's pattern (`/room/:token/pollInfo/:info_updated`): its metrics and log label. */
  route: string;
  /** Matches the path (without query) the full route would match, capturing its parameters. */
  path: RegExp;
  /** `batch-read`: throwing is the same as answering null. */
  handle(req: DirectRequest): Promise<DirectAnswer>;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** The reply the full routes give: JSON replies carry exactly this header (spec §4.5), a 304 the text type of its empty body. */
export function directResponse(answer: NonNullable<DirectAnswer>): InnerResponse {
  if ('notModified' in answer) return { code: 304, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.alloc(0) };
  if ('jsonBytes' in answer) return { code: 200, headers: { ...JSON_HEADERS }, body: answer.jsonBytes };
  return { code: 200, headers: { ...JSON_HEADERS }, body: Buffer.from(JSON.stringify(answer.json)) };
}

/** Splits a target into its path and parsed query. */
export function splitTarget(target: string): { path: string; query: DirectRequest['query'] } {
  const q = target.indexOf('?');
  if (q < 0) return { path: target, query: {} };
  return { path: target.slice(0, q), query: parseQueryString(target.slice(q + 1)) };
}
