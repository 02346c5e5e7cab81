import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { z } from 'zod';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { parseJsonBody } from '../core/json-body';
import { decodeBase64Strict } from '../crypto';
import { INNER_METHODS, innerHeaders, validTarget, type InnerRequest, type InnerResponse } from './inner-request';
import type { RequestScope, RouteRequest } from './route';

/*
 * /batch and /sequence (protocol §6.1): the whole list is parsed and validated before anything
 * runs; each sub-request then takes the router's one road with the outer request's user.
 */

export const subRequestSchema = z.object({
  method: z.string().refine((m) => INNER_METHODS.has(m), 'method must be one of GET, POST, PUT, DELETE'),
  path: z.string().refine(validTarget, 'path must start with "/"'),
  headers: z.record(z.string(), z.string()).optional(),
  json: z.unknown().optional(),
  b64: z.string().optional(),
  bytes: z.string().optional(),
});

/** One sub-request as in the request body, before its body is decoded. */
type SubRequest = z.infer<typeof subRequestSchema>;

const bad = (index: number, why: string) => new BadRequestException(`Invalid batch request ${index}: ${why}`);

/**
 * The element itself when it plainly passes subRequestSchema, checked by hand: every sub-request of
 * every poll comes here, and zod's parse of each was the larger part of reading a 20-room batch.
 * Null when any check fails, so that the schema itself parses it and names what is wrong.
 */
export function plainSubRequest(raw: unknown): SubRequest | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const { method, path, headers, b64, bytes } = raw as Record<string, unknown>;
  if (typeof method !== 'string' || !INNER_METHODS.has(method) || !validTarget(path)) return null;
  if ((b64 !== undefined && typeof b64 !== 'string') || (bytes !== undefined && typeof bytes !== 'string')) return null;
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return null;
    for (const value of Object.values(headers)) if (typeof value !== 'string') return null;
  }
  return raw as SubRequest;
}

function toInner(raw: unknown, index: number): InnerRequest {
  let req = plainSubRequest(raw);
  if (!req) {
    const parsed = subRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw bad(index, issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message);
    }
    req = parsed.data;
  }
  const obj = raw as Record<string, unknown>;
  const bodies = (['json', 'b64', 'bytes'] as const).filter((k) => k in obj);
  const hasBody = req.method === 'POST' || req.method === 'PUT';
  if (hasBody && bodies.length !== 1) throw bad(index, `${req.method} requires exactly one of json, b64 or bytes`);
  if (!hasBody && bodies.length > 0) throw bad(index, `${req.method} must not have a body`);
  const headers = innerHeaders(req.headers);
  if (!headers) throw bad(index, 'headers must be an object of valid header names to strings');

  let body: Buffer | undefined;
  if (bodies[0] === 'json') {
    body = Buffer.from(JSON.stringify(obj.json));
    headers['content-type'] = 'application/json';
  } else if (bodies[0] !== undefined) {
    if (bodies[0] === 'b64') {
      const decoded = decodeBase64Strict(req.b64 ?? '');
      if (!decoded) throw bad(index, 'b64 is not valid base64');
      body = Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength);
    } else {
      body = Buffer.from(req.bytes ?? '', 'utf8');
    }
    headers['content-type'] ??= 'application/octet-stream';
  }
  return { method: req.method, target: req.path, headers, body };
}

export interface BatchLimits {
  /** BATCH_MAX_BYTES */
  maxBytes: number;
  /** BATCH_MAX_REQUESTS: sub-requests of one batch. */
  maxRequests: number;
  /** JSON_MAX_DEPTH */
  jsonMaxDepth: number;
  /** BATCH_REPLY_MAX_BYTES: the sub-replies' bodies of one batch, together. */
  maxReplyBytes: number;
}

/** A sub-request whose reply no longer fits its batch's reply budget: the client asks again (its next poll goes on from what it got). */
const REPLY_BUDGET_SPENT: InnerResponse = {
  code: 503,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' },
  body: Buffer.from("This reply would make the batch's reply larger than its limit; ask for it again"),
};

/**
 * Keeps the sub-replies, in request order, while their bodies fit `maxBytes` together; the ones
 * after that are replaced by REPLY_BUDGET_SPENT (hardening: no request can make the server send a
 * reply larger than the cap; each list is capped by REPLY_MAX_BYTES too).
 */
class ReplyBudget {
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  admit(res: InnerResponse): InnerResponse {
    if (this.used + res.body.length > this.maxBytes) return REPLY_BUDGET_SPENT;
    this.used += res.body.length;
    return res;
  }
}

/** The whole batch as inner requests; any invalid element rejects all of it (400). */
export function parseBatch(value: unknown, maxRequests: number): InnerRequest[] {
  if (!Array.isArray(value)) throw new BadRequestException('Invalid batch request: body must be a JSON array of requests');
  if (value.length > maxRequests) {
    throw new BadRequestException(`Invalid batch request: ${value.length} requests exceed the limit of ${maxRequests}`);
  }
  return value.map(toInner);
}

/**
 * The sub-requests of a /batch or /sequence body; 413 or 400 with a reason when it is not one.
 * `budget`: the sub-requests its onion request may still run (nested batches included), checked
 * before any element is validated.
 */
export function readBatch(body: Buffer | undefined, limits: BatchLimits, budget?: RequestScope['budget']): InnerRequest[] {
  const size = body?.length ?? 0;
  if (size > limits.maxBytes) throw new PayloadTooLargeException(`Batch request body of ${size} bytes exceeds the limit of ${limits.maxBytes}`);
  const value = parseJsonBody(body, limits.jsonMaxDepth);
  if (budget && Array.isArray(value) && value.length <= limits.maxRequests) spend(budget, value.length);
  return parseBatch(value, limits.maxRequests);
}

/** Takes `count` sub-requests from the onion request's budget; 400 when they are more than it has left. */
function spend(budget: RequestScope['budget'], count: number): void {
  if (count > budget.remaining) {
    throw new BadRequestException(`Invalid batch request: more than ${budget.limit} sub-requests in one request (those of nested batches count too)`);
  }
}

/** Bodies of outer batches already parsed to tell whether they only read: the route runs them without parsing again (the poll path). */
const parsedBatches = new WeakMap<Buffer, InnerRequest[]>();

/** A batch of reads only (every poll): its retry may simply run again, so no reply is kept for it. */
export function batchOnlyReads(body: Buffer | undefined, limits: BatchLimits): boolean {
  try {
    const requests = readBatch(body, limits);
    if (body) parsedBatches.set(body, requests);
    return requests.every((r) => r.method === 'GET');
  } catch {
    // A bad body is refused by the route itself, after authentication.
    return false;
  }
}

/**
 * Runs the sub-requests with the outer request's user: /batch independently (concurrently, sharing
 * the reads of one instant), /sequence in order, stopping after the first non-2xx. Sub-requests at
 * every nesting level draw on one budget per onion request, so nesting cannot multiply the work.
 */
export async function runBatch(mode: 'batch' | 'sequence', req: RouteRequest, limits: BatchLimits): Promise<Buffer> {
  const parsed = parsedBatches.get(req.rawBody);
  if (parsed) spend(req.scope.budget, parsed.length);
  const requests = parsed ?? readBatch(req.rawBody, limits, req.scope.budget);
  req.scope.budget.remaining -= requests.length;
  const user: AuthenticatedUser | null = req.user;
  const replies = new ReplyBudget(limits.maxReplyBytes);
  let responses: InnerResponse[];
  if (mode === 'batch') {
    const scope: RequestScope = { ...req.scope, inheritedUser: user, batchReads: new Map() };
    responses = (await Promise.all(requests.map((r) => req.dispatch(r, scope)))).map((res) => replies.admit(res));
  } else {
    const scope: RequestScope = { ...req.scope, inheritedUser: user, batchReads: undefined };
    responses = [];
    for (const r of requests) {
      const res = replies.admit(await req.dispatch(r, scope));
      responses.push(res);
      if (res.code < 200 || res.code >= 300) break;
    }
  }
  return encodeBatchResponse(responses);
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_ELEMENT = Buffer.from('}');
const CLOSE = Buffer.from(']');
const NULL_BODY = Buffer.from('null');

/** The head of a sub-reply whose only header is the JSON content-type, per status: nearly every sub-reply of a poll (made once each, status codes being few). */
const jsonReplyHeads = new Map<number, Buffer>();

/** `{"code":…,"headers":…,"body":`, as JSON.stringify writes the headers; `json`: its content-type is JSON. */
function replyHead(res: InnerResponse, json: boolean): Buffer {
  let names = 0;
  for (const name in res.headers) if (Object.hasOwn(res.headers, name)) names++;
  if (!json || names !== 1) return Buffer.from(`{"code":${res.code},"headers":${JSON.stringify(res.headers)},"body":`);
  let head = jsonReplyHeads.get(res.code);
  if (!head) {
    head = Buffer.from(`{"code":${res.code},"headers":{"content-type":"application/json"},"body":`);
    jsonReplyHeads.set(res.code, head);
  }
  return head;
}

/**
 * Encodes the response array without re-serialising JSON sub-bodies: they are our own routes'
 * output and are spliced in as they are (the poll path, issue 7); other bodies become base64.
 */
export function encodeBatchResponse(responses: InnerResponse[]): Buffer {
  const parts: Buffer[] = [OPEN];
  responses.forEach((res, i) => {
    if (i > 0) parts.push(COMMA);
    const json = res.headers['content-type'] === 'application/json';
    parts.push(replyHead(res, json));
    if (json) parts.push(res.body.length > 0 ? res.body : NULL_BODY);
    else parts.push(Buffer.from(JSON.stringify(res.body.toString('base64'))));
    parts.push(CLOSE_ELEMENT);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
