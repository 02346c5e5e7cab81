// JSON shapes of the moderation endpoints (protocol §6.7). Pure.
import type { RoomOverride } from '../rooms/permissions';

/** An override row as stored: the flags permissions are computed from, plus visibility. */
export interface OverrideFlags extends RoomOverride {
  visibleMod: boolean;
}

export type PermissionObject = Partial<Record<'banned' | 'read' | 'accessible' | 'write' | 'upload' | 'moderator' | 'admin' | 'hidden', boolean>>;

/**
 * A user's override as clients see it: only set flags, `banned` only when true, one of
 * `admin`/`moderator` for room mods, `hidden` for hidden ones; `{}` without a row (protocol §6.7).
 */
export function permissionObject(o: OverrideFlags | null): PermissionObject {
  if (!o) return {};
  const out: PermissionObject = {};
  if (o.banned) out.banned = true;
  for (const k of ['read', 'accessible', 'write', 'upload'] as const) {
    const v = o[k];
    if (v !== null) out[k] = v;
  }
  // A mute is a timed write=false (issue 14 item 6); moderators' clients see it as one.
  if (o.mutedUntil != null) out.write = false;
  if (o.admin) out.admin = true;
  else if (o.moderator) out.moderator = true;
  if ((o.admin || o.moderator) && !o.visibleMod) out.hidden = true;
  return out;
}

export interface FutureEntry {
  sessionId: string;
  at: number;
  read: boolean | null;
  write: boolean | null;
  upload: boolean | null;
  banned: boolean | null;
}

export type FutureObject = { session_id?: string; at: number } & Partial<Record<'read' | 'write' | 'upload' | 'banned', boolean>>;

/** A scheduled change: its non-null flags and `at`; `session_id` only in the room-wide list. */
export function futureObject(f: FutureEntry, withSessionId: boolean): FutureObject {
  const out: FutureObject = withSessionId ? { session_id: f.sessionId, at: f.at } : { at: f.at };
  for (const k of ['read', 'write', 'upload', 'banned'] as const) {
    const v = f[k];
    if (v !== null) out[k] = v;
  }
  return out;
}

/**
 * The override value a due future sets (protocol §6.7): null leaves the current value, a value equal to
 * the room default clears the override, anything else is set.
 */
export function futureValue(future: boolean | null, current: boolean | null, roomDefault: boolean): boolean | null {
  if (future === null) return current;
  return future === roomDefault ? null : future;
}
