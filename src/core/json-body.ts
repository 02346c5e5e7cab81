import { BadRequestException } from '@nestjs/common';

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
