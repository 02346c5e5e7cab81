// Integer query and path parameters (protocol §5). Pure.
import { BadRequestException, NotFoundException } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import type { ListOptions } from './messages.service';

/** An integer query parameter: absent or empty → `def`; not an integer → 400; else clamped to [min, max]. */
export function intQuery(value: unknown, name: string, def: number, min: number, max: number): number {
  if (value === undefined || value === '') return def;
  if (typeof value !== 'string' || !/^[+-]?\d{1,15}$/.test(value)) throw new BadRequestException(`Invalid '${name}': must be an integer`);
  return Math.min(max, Math.max(min, Number(value)));
}

/** An optional integer query parameter without bounds (null when absent). */
export function optionalIntQuery(value: unknown, name: string): number | null {
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || !/^[+-]?\d{1,15}$/.test(value)) throw new BadRequestException(`Invalid '${name}': must be an integer`);
  return Number(value);
}

const INT_MAX = 2_147_483_647;

/**
 * A non-negative integer path segment (message id, seqno); anything else matches no route → 404.
 * Ids beyond the 32-bit columns exist nowhere (404); counters (`clamp`) beyond them are clamped.
 */
export function intPath(value: string, opts: { clamp?: boolean } = {}): number {
  if (!/^\d+$/.test(value)) throw new NotFoundException();
  const n = Number(value);
  if (n > INT_MAX) {
    if (opts.clamp) return INT_MAX;
    throw new NotFoundException();
  }
  return n;
}

type ListLimits = Pick<AppConfig, 'MESSAGE_LIMIT_DEFAULT' | 'MESSAGE_LIMIT_MAX' | 'REACTORS_DEFAULT' | 'REACTORS_MAX'>;

/** `limit` and `reactors` of the message lists (protocol §7.2). */
export function listOptions(q: Record<string, unknown>, c: ListLimits): ListOptions {
  return {
    limit: intQuery(q.limit, 'limit', c.MESSAGE_LIMIT_DEFAULT, 1, c.MESSAGE_LIMIT_MAX),
    reactors: intQuery(q.reactors, 'reactors', c.REACTORS_DEFAULT, 0, c.REACTORS_MAX),
  };
}

/** messages/since: `t=r` asks for reaction updates too (protocol §7.2). */
export function wantsReactions(q: Record<string, unknown>): boolean {
  return typeof q.t === 'string' && q.t.includes('r');
}
