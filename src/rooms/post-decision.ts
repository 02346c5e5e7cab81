// How a post that passed the posting rules is stored. Pure.
import type { AuditActor } from '../audit/audit.types';
import type { Hidden } from './visibility';

/** How the posting rules (a refusal throws instead) say to store a post: as usual, silently filtered, or held for review. */
export type PostAction = 'allow' | 'silent' | 'hold';

/** What was decided about a post and, unless it is allowed, who decided it: the audit actor (`rule:NAME`, `plugin:NAME`). */
export type PostDecision = { action: 'allow' } | { action: Exclude<PostAction, 'allow'>; by: AuditActor };

export const ALLOWED: PostDecision = { action: 'allow' };

/** The stored form of a post: `filtered` (protocol §9.2's silent filters), why it is hidden, and who held it (the audit actor). */
export interface StoredPost {
  filtered: boolean;
  hidden: Hidden | null;
  /** Set when `hidden` is 'held': the decision's maker, or `rule:held` for the room's held mode. */
  heldBy: AuditActor | null;
}

/** What the poster's standing in the room says about a new post (src/rooms/review.service.ts holds). */
export interface Poster {
  shadowBanned: boolean;
  /** The room's held mode holds this poster's posts for a moderator. */
  heldByMode: boolean;
}

/**
 * The one mapping from a decision to the stored row: a shadow-banned author's post is hidden as
 * 'shadow' whatever the rules said (they never learn of it); one the rules, a plugin or the room's
 * held mode hold, as 'held' (issue 14), under the name of who held it.
 */
export function storedPost(decision: PostDecision, poster: Poster): StoredPost {
  const heldBy = decision.action === 'hold' ? decision.by : poster.heldByMode ? 'rule:held' : null;
  const held = !poster.shadowBanned && heldBy !== null;
  return {
    filtered: decision.action === 'silent',
    hidden: poster.shadowBanned ? 'shadow' : held ? 'held' : null,
    heldBy: held ? heldBy : null,
  };
}
