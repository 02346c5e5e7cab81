import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/** Parses a raw JSON body. Empty means `{}` (desktop sends JSON content-type on body-less PUTs, spec §11). */
export function parseJsonBody(raw: unknown, maxDepth = 64): unknown {
  if (raw === undefined || raw === null) return {};
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
  if (buf.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    throw new BadRequestException('Invalid JSON body');
  }
  if (depthExceeds(value, maxDepth)) throw new BadRequestException(`JSON body nested deeper than ${maxDepth} levels`);
  return value;
}

function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return true;
    for (const child of Object.values(v as object)) stack.push([child, d + 1]);
  }
  return false;
}

/**
 * The request body parsed as JSON and validated by a zod schema; any failure is a 400 naming the
 * first bad field. The schema travels wrapped under a key Nest does not interpret: Nest treats a
 * bare argument with a `transform` method (every zod schema) as a pipe, and `{schema}` as its own
 * options, and would then hand the route the schema instead of the body.
 */
export const JsonBody = (schema?: z.ZodType): ParameterDecorator => JsonBodyParam({ bodySchema: schema });

const JsonBodyParam = createParamDecorator(({ bodySchema: schema }: { bodySchema?: z.ZodType }, ctx: ExecutionContext) => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  const value = parseJsonBody(req.body, req.jsonMaxDepth);
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new BadRequestException(`Invalid request body: ${where}${issue.message}`);
  }
  return parsed.data;
});
