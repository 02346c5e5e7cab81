// How a post that passed the posting rules is stored. Pure.
import type { Hidden } from './visibility';

/** What the posting rules decided (a refusal throws instead): store as usual, silently filtered, or held for review. */
export type PostDecision = 'allow' | 'silent' | 'hold';

/** The stored form of a post: `filtered` (protocol §9.2's silent filters) and why it is hidden, if it is. */
export interface StoredPost {
  filtered: boolean;
  hidden: Hidden | null;
}

/** What the poster's standing in the room says about a new post (src/rooms/review.service.ts holds). */
export interface Poster {
  shadowBanned: boolean;
  /** The room's held mode holds this poster's posts for a moderator. */
  heldByMode: boolean;
}

/**
 * The one mapping from a decision to the stored row: a shadow-banned author's post is hidden as
 * 'shadow' whatever the rules said (they never learn of it); one the rules or the room's held mode
 * hold, as 'held' (issue 14).
 */
export function storedPost(decision: PostDecision, poster: Poster): StoredPost {
  const held = decision === 'hold' || poster.heldByMode;
  return {
    filtered: decision === 'silent',
    hidden: poster.shadowBanned ? 'shadow' : held ? 'held' : null,
  };
}
