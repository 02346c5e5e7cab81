import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Clock } from '../core/clock';
import { ChangeCache } from '../cache/change-cache';
import { ChangeFeed } from '../cache/change-feed';
import type { Room } from '../generated/prisma/client';
import type { ViewerClass } from './visibility';

/** A `since` reply shared by the viewers of one class, and who may not share it. */
export interface SharedSince {
  /** The encoded JSON reply, as sharedViewerOf(class) gets it. */
  body: Buffer;
  /** Users with something personal in the range (visibility.ts personalUsersSql): they get their own. */
  personal: ReadonlySet<number>;
}

/** What a `since` request asks, besides the room and the viewer. */
export interface SinceQuery {
  after: number;
  withReactions: boolean;
  limit: number;
  reactors: number;
}

/**
 * `since` replies of busy rooms, shared by the clients polling the same seqno (issue 18): kept per
 * room for the room's current message_sequence only (every change to a message moves it, so an
 * entry never outlives what it shows), at most SINCE_SHARED_ENTRIES per room, forgotten when the
 * change feed announces a change to the room or loses its live state (ChangeCache).
 */
@Injectable()
export class SinceResults {
  private readonly rooms = new Map<number, { seqno: number; cache: ChangeCache<SharedSince> }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly feed: ChangeFeed,
    private readonly clock: Clock,
  ) {
    feed.subscribe((change) => {
      if (change.kind === 'room') this.rooms.delete(change.roomId);
      // A user's change (e.g. a session id) may show in any reply; rare enough to start over.
      else if (change.kind === 'rooms' || change.kind === 'user' || change.kind === 'reset') this.rooms.clear();
    });
  }

  /**
   * The shared reply (loaded by `load` on a miss), or null when there is none to share: sharing off,
   * change feed not live, or this request read the room before a change another request has seen.
   * The first asker already loads the shared reply (its read adds the range's personal users to
   * what an own read does): the clients of a room poll the seqno they last saw, so a reply asked
   * for once is almost always asked for again before the room changes.
   */
  get(room: Room, c: ViewerClass, q: SinceQuery, load: () => Promise<SharedSince>): Promise<SharedSince> | null {
    if (this.config.SINCE_SHARED_ENTRIES === 0 || !this.feed.live) return null;
    let kept = this.rooms.get(room.id);
    if (kept && kept.seqno > room.messageSequence) return null;
    if (!kept || kept.seqno < room.messageSequence) {
      const cache = new ChangeCache<SharedSince>(this.feed, { ttlMs: this.config.CACHE_TTL * 1000, maxEntries: this.config.SINCE_SHARED_ENTRIES, clock: this.clock });
      this.rooms.set(room.id, (kept = { seqno: room.messageSequence, cache }));
    }
    return kept.cache.get(`${c}:${q.after}:${q.withReactions ? 1 : 0}:${q.limit}:${q.reactors}`, load);
  }
}
