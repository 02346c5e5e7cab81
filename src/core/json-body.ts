import { BadRequestException } from '@nestjs/common';

/** Parses a raw JSON body. Empty means `{}` (desktop sends JSON content-type on body-less PUTs, protocol §11). */
export function parseJsonBody(buf: Buffer | undefined, maxDepth = 64): unknown {
  if (buf === undefined || buf.length === 0) return {};
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
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, d] = next;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return true;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}
