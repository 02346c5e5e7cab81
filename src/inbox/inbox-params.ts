// Path and query parameters of the DM routes (protocol §6.9). Pure.
import { BadRequestException, NotFoundException } from '@nestjs/common';
import type { AppConfig } from '../config/config';

/**
 * `:id` of the since-polls: a non-negative integer, else the route does not match (404). Ids are
 * 32-bit columns, so a larger one is clamped (nothing is newer than it) rather than overflowing the query.
 */
export function sinceId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new NotFoundException('Not found');
  return Math.min(Number(raw), 2_147_483_647);
}

/** `limit`: default MESSAGE_LIMIT_DEFAULT, clamped to 1..MESSAGE_LIMIT_MAX; not an integer → 400. */
export function dmLimit(raw: unknown, c: Pick<AppConfig, 'MESSAGE_LIMIT_DEFAULT' | 'MESSAGE_LIMIT_MAX'>): number {
  if (raw === undefined) return c.MESSAGE_LIMIT_DEFAULT;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) throw new BadRequestException("'limit' must be an integer");
  return Math.min(Math.max(Number(raw), 1), c.MESSAGE_LIMIT_MAX);
}
