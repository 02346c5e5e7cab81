import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';
import { decodeBase64Strict } from '../crypto';
import { INNER_METHODS, innerHeaders, validTarget, type InnerRequest, type InnerResponse } from '../onion-gateway/inner-request';
import { FORBIDDEN_INNER_HEADERS } from '../onion-gateway/internal-dispatcher';

/*
 * /batch and /sequence bodies (spec §6.1): parsing and validation of the whole list before
 * anything runs, and the response array.
 */

const subRequestSchema = z.object({
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

function toInner(raw: unknown, index: number): InnerRequest {
  const parsed = subRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(index, issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message);
  }
  const req: SubRequest = parsed.data;
  const obj = raw as Record<string, unknown>;
  const bodies = (['json', 'b64', 'bytes'] as const).filter((k) => k in obj);
  const hasBody = req.method === 'POST' || req.method === 'PUT';
  if (hasBody && bodies.length !== 1) throw bad(index, `${req.method} requires exactly one of json, b64 or bytes`);
  if (!hasBody && bodies.length > 0) throw bad(index, `${req.method} must not have a body`);
  const headers = innerHeaders(req.headers, FORBIDDEN_INNER_HEADERS);
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

/** The whole batch as inner requests; any invalid element rejects all of it (400). */
export function parseBatch(value: unknown, maxRequests: number): InnerRequest[] {
  if (!Array.isArray(value)) throw new BadRequestException('Invalid batch request: body must be a JSON array of requests');
  if (value.length > maxRequests) {
    throw new BadRequestException(`Invalid batch request: ${value.length} requests exceed the limit of ${maxRequests}`);
  }
  return value.map(toInner);
}

/**
 * Encodes the response array without re-serialising JSON sub-bodies: they are our own routes'
 * output and are spliced in as they are (the poll path, issue 7); other bodies become base64.
 */
export function encodeBatchResponse(responses: InnerResponse[]): Buffer {
  const parts: Buffer[] = [Buffer.from('[')];
  responses.forEach((res, i) => {
    if (i > 0) parts.push(Buffer.from(','));
    parts.push(Buffer.from(`{"code":${res.code},"headers":${JSON.stringify(res.headers)},"body":`));
    if (res.headers['content-type'] === 'application/json') parts.push(res.body.length > 0 ? res.body : Buffer.from('null'));
    else parts.push(Buffer.from(JSON.stringify(res.body.toString('base64'))));
    parts.push(Buffer.from('}'));
  });
  parts.push(Buffer.from(']'));
  return Buffer.concat(parts);
}
