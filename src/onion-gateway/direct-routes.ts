import { parse as parseQueryString } from 'node:querystring';
import type { AuthenticatedUser, DispatchContext } from '../auth/auth.types';
import type { InnerResponse } from './inner-request';

/*
 * Direct routes (issue 7): the reads every poll repeats — pollInfo, messages/since, inbox and
 * outbox since — answered for /batch sub-requests by calling their services straight away instead
 * of a round through Fastify's injection and Nest's pipeline (which cost more than the reads).
 * Only the plain success is answered here: for anything else a direct route answers null and the
 * full route runs, so every error keeps exactly one implementation (guards, pipes, filter).
 */

export interface DirectRequest {
  /** The path pattern's captures, in order. */
  params: string[];
  /** Parsed like Fastify's query string: repeated names become arrays. */
  query: Record<string, string | string[] | undefined>;
  /** The enclosing batch's user. */
  user: AuthenticatedUser | null;
  context: DispatchContext;
}

/** A 200 with a JSON body, a 304 without one, or null: let the full route answer. */
export type DirectAnswer = { json: unknown } | { notModified: true } | null;

export interface DirectRoute {
  /** The full route's pattern (`/room/:token/pollInfo/:info_updated`): its metrics label. */
  route: string;
  /** Matches the path (without query) the full route would match, capturing its parameters. */
  path: RegExp;
  /** Throwing is the same as answering null. */
  handle(req: DirectRequest): Promise<DirectAnswer>;
}

/** The reply the full routes give: JSON replies carry exactly this header (spec §4.5), a 304 the text type of its empty body. */
export function directResponse(answer: NonNullable<DirectAnswer>): InnerResponse {
  if ('notModified' in answer) return { code: 304, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.alloc(0) };
  return { code: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(answer.json)) };
}

/** Splits a target into its path and parsed query. */
export function splitTarget(target: string): { path: string; query: DirectRequest['query'] } {
  const q = target.indexOf('?');
  if (q < 0) return { path: target, query: {} };
  return { path: target.slice(0, q), query: parseQueryString(target.slice(q + 1)) };
}
