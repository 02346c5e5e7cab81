import { ANY_SESSION_ID, ROOM_TOKEN } from '../protocol/constants';
import { normaliseSessionId } from '../users/session-id';
import { UsageError } from './io';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `90`, `90s`, `15m`, `2h`, `7d`, `1w` or a sum like `1d12h` → seconds (> 0). */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return positive(Number(trimmed), text);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UsageError(`Invalid duration '${text}': use seconds or a number with s, m, h, d or w (e.g. 30m, 7d, 1d12h)`);
  }
  return positive(
    parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]], 0),
    text,
  );
}

function positive(seconds: number, text: string): number {
  if (!(seconds > 0)) throw new UsageError(`Invalid duration '${text}': must be greater than zero`);
  return seconds;
}

/** A 05 (unblinded) or 15 (blinded) Session id, lower-cased (protocol §2.2). */
export function parseSessionId(text: string): string {
  if (!ANY_SESSION_ID.test(text)) throw new UsageError(`Invalid Session id '${text}': expected 05 or 15 followed by 64 hex digits`);
  return normaliseSessionId(text);
}

/** Room tokens: 1–64 of [A-Za-z0-9_-] (protocol §9.1). */
export function parseRoomToken(text: string): string {
  if (!ROOM_TOKEN.test(text)) throw new UsageError(`Invalid room token '${text}': 1 to 64 letters, digits, '_' or '-'`);
  return text;
}

/** Non-negative integer id (file ids, message ids). */
export function parseId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`Invalid id '${text}': expected a whole number`);
  return Number(text);
}
