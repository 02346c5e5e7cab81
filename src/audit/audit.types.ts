import type { Prisma } from '../generated/prisma/client';

/**
 * What an audit entry records. One word per kind of change (the metric label, so a closed set):
 * moderators and bans (protocol §6.8), permissions and their timed changes (§6.7), message and
 * pin moderation (§6.3–6.5), rooms and files (§6.2, §9.3), the attachment blocklist (issue 15),
 * mutes and trust, held posts and reports (issue 14), what plugins' bots post,
 * DM and react (issue 16; their moderation is recorded under the actions above).
 */
export const AUDIT_ACTIONS = [
  'moderator.set',
  'ban',
  'unban',
  'permissions.set',
  'permissions.schedule',
  'permissions.apply',
  'message.delete',
  'message.delete_all',
  'reactions.clear',
  'pin',
  'unpin',
  'room.create',
  'room.update',
  'room.image',
  'room.delete',
  'room.policy',
  'room.lockdown',
  'room.unlock',
  'rule.hit',
  'file.delete',
  'blocklist.add',
  'blocklist.remove',
  'mute',
  'unmute',
  'trust',
  'untrust',
  'held.hold',
  'held.approve',
  'held.reject',
  'report.hide',
  'report.dismiss',
  'report.uphold',
  'plugin.post',
  'plugin.dm',
  'plugin.react',
  'plugin.note',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(text: string): text is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(text);
}

/**
 * Who acted: a caller's blinded (or 05) session id, or the name of a non-user caller — "cli",
 * "console", "plugin:NAME", "rule:NAME" — or "system" for timed changes applied by jobs.
 */
export type AuditActor = string;

export interface AuditEntry {
  actor: AuditActor;
  action: AuditAction;
  /** The room the change was made in (id null: the room is being deleted); null/absent for server-wide changes. */
  room?: { id: number | null; token: string } | null;
  /** Whom or what it was done to: a session id, a file id, a message id. */
  target?: string | null;
  reason?: string | null;
  details?: Prisma.InputJsonObject | null;
}

/** One stored entry as `audit list` prints it. */
export interface AuditRecord {
  id: number;
  at: number;
  actor: string;
  action: string;
  room: string | null;
  target: string | null;
  reason: string | null;
  details: Prisma.JsonValue | null;
}

export interface AuditFilter {
  /** Room token, case-insensitive (entries of deleted rooms too). */
  room?: string;
  /** Session ids match in any case; other actors ("cli", "rule:NAME") and targets (file ids) as given. */
  actor?: string;
  target?: string;
  action?: AuditAction;
  /** Entries at or after this epoch time. */
  since?: number;
  /** Entries at or before this epoch time. */
  until?: number;
  /** Newest first, at most this many (default 1000). */
  limit?: number;
}
