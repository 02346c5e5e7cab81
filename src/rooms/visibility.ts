// The visibility rule (issue 14, docs/moderation-clients.md): who may see a message and a reaction.
// ONE rule, written twice: as SQL fragments every read query embeds (messages `m`, user reactions
// `ur`) and as pure TypeScript predicates for rows already in hand. The unit tests hold the two to
// the same table.
import { Prisma } from '../generated/prisma/client';

/** Why a message is hidden: awaiting a moderator, posted while shadow-banned, or hidden by reports. */
export type Hidden = 'held' | 'shadow' | 'reported';
export const HIDDEN_REASONS: readonly Hidden[] = ['held', 'shadow', 'reported'];

/** Who is asking (null user = anonymous); moderators include admins. */
export interface Viewer {
  userId: number | null;
  moderator: boolean;
}

export function viewerOf(user: { id: number } | null, permissions: { moderator: boolean }): Viewer {
  return { userId: user?.id ?? null, moderator: permissions.moderator };
}

/** What a message needs for the rule. */
export interface VisibilityFields {
  userId: number;
  hidden: string | null;
  whisperToId: number | null;
  whisperMods: boolean;
}

/** How a `since` poll shows a row to a viewer: whole, as a deletion, or not at all. */
export type SinceShape = 'full' | 'tombstone' | 'none';

// ---- TypeScript

/** Whispers (protocol §7.4): to everyone, to one user (and the moderators), or to the moderators. */
function whisperVisible(m: VisibilityFields, v: Viewer): boolean {
  if (v.userId === null) return m.whisperToId === null && !m.whisperMods;
  if (v.moderator) return m.whisperMods || m.whisperToId === null || m.whisperToId === v.userId || m.userId === v.userId;
  return m.whisperToId === v.userId || (m.whisperToId === null && !m.whisperMods);
}

/** A hidden message (held, shadow, reported) is seen by its author and the room's moderators only. */
function hiddenVisible(m: Pick<VisibilityFields, 'userId' | 'hidden'>, v: Viewer): boolean {
  return m.hidden === null || v.moderator || (v.userId !== null && m.userId === v.userId);
}

/** The rule: may the viewer see this message (its data, reactions, pin)? */
export function canSeeMessage(m: VisibilityFields, v: Viewer): boolean {
  return whisperVisible(m, v) && hiddenVisible(m, v);
}

/**
 * A `since` row from seqno `after`: a message hidden by reports was public, so a viewer who may no
 * longer see it learns of it as of a deletion (when it existed at `after`); held and shadow posts
 * were never public and are never mentioned.
 */
export function sinceShape(m: VisibilityFields & { seqnoCreation: number }, v: Viewer, after: number): SinceShape {
  if (!whisperVisible(m, v)) return 'none';
  if (hiddenVisible(m, v)) return 'full';
  return m.hidden === 'reported' && m.seqnoCreation <= after ? 'tombstone' : 'none';
}

/** A hidden reaction (a shadow-banned user's, or a report) counts for its reactor and moderators only. */
export function canSeeReaction(r: { userId: number; hidden: boolean }, v: Viewer): boolean {
  return !r.hidden || v.moderator || (v.userId !== null && r.userId === v.userId);
}

// ---- SQL (the same rule; `m` = messages, `ur` = user_reactions)

function whisperVisibleSql(v: Viewer): Prisma.Sql {
  if (v.userId === null) return Prisma.sql`(m.whisper IS NULL AND NOT m.whisper_mods)`;
  if (v.moderator) return Prisma.sql`(m.whisper_mods OR m.whisper IS NULL OR m.whisper = ${v.userId} OR m."user" = ${v.userId})`;
  return Prisma.sql`(m.whisper = ${v.userId} OR (m.whisper IS NULL AND NOT m.whisper_mods))`;
}

function hiddenVisibleSql(v: Viewer): Prisma.Sql {
  if (v.moderator) return Prisma.sql`TRUE`;
  if (v.userId === null) return Prisma.sql`m.hidden IS NULL`;
  return Prisma.sql`(m.hidden IS NULL OR m."user" = ${v.userId})`;
}

/** canSeeMessage as a WHERE fragment. */
export function messageVisibleSql(v: Viewer): Prisma.Sql {
  return Prisma.sql`${whisperVisibleSql(v)} AND ${hiddenVisibleSql(v)}`;
}

/** sinceShape(…) <> 'none' as a WHERE fragment; the caller shapes the rows with sinceShape. */
export function sinceVisibleSql(v: Viewer, after: number): Prisma.Sql {
  if (v.moderator) return whisperVisibleSql(v);
  return Prisma.sql`${whisperVisibleSql(v)} AND (${hiddenVisibleSql(v)} OR (m.hidden = 'reported' AND m.seqno_creation <= ${after}))`;
}

/** canSeeReaction as a WHERE fragment. */
export function reactionVisibleSql(v: Viewer): Prisma.Sql {
  if (v.moderator) return Prisma.sql`TRUE`;
  if (v.userId === null) return Prisma.sql`NOT ur.hidden`;
  return Prisma.sql`(NOT ur.hidden OR ur."user" = ${v.userId})`;
}

// ---- Shared `since` results (issue 18): who sees a range as everyone of their class does

/** An id no user has: a moderator who is no one in particular (no whisper to them, no reaction of theirs). */
const NO_USER_ID = -1;

/** The class a `since` result is shared within: non-moderators (anonymous included) or moderators. */
export type ViewerClass = 'public' | 'moderator';

export function viewerClassOf(v: Viewer): ViewerClass {
  return v.moderator ? 'moderator' : 'public';
}

/**
 * The viewer whose `since` result every viewer of the class gets who has nothing personal in the
 * range (see personalUsersSql): anonymous for non-moderators, a moderator who is no user for
 * moderators. By the rule above, a user who is no whisper's recipient, no hidden message's or
 * whisper's author and no reactor there sees exactly what this viewer sees: every clause naming
 * the viewer's id is false for both.
 */
export function sharedViewerOf(c: ViewerClass): Viewer {
  return c === 'moderator' ? { userId: NO_USER_ID, moderator: true } : { userId: null, moderator: false };
}

/**
 * The ids of the users to whom the messages of room `roomId` after seqno `after` (and their
 * reactions) may show otherwise than to sharedViewerOf(…): every clause of the rule above that names
 * the viewer (whisper recipients, authors of hidden messages and of whispers, reactors: `you` and
 * hidden reactions). A superset is safe (those users get their own answer); a missing id is a leak.
 */
export function personalUsersSql(roomId: number, after: number): Prisma.Sql {
  return Prisma.sql`
    SELECT m.whisper AS id FROM messages m WHERE m.room = ${roomId} AND m.seqno > ${after} AND m.whisper IS NOT NULL
    UNION SELECT m."user" FROM messages m WHERE m.room = ${roomId} AND m.seqno > ${after}
      AND (m.hidden IS NOT NULL OR m.whisper IS NOT NULL OR m.whisper_mods)
    UNION SELECT ur."user" FROM messages m JOIN reactions r ON r.message = m.id JOIN user_reactions ur ON ur.reaction = r.id
      WHERE m.room = ${roomId} AND m.seqno > ${after}`;
}
