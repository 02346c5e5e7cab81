import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Clock } from '../core/clock';
import type { Room } from '../generated/prisma/client';
import { effectivePermissions, type RoomPermissions } from '../rooms/permissions';
import { roomModeration, type RoomModeration } from './room-moderation';
import { StandingRepository, type NewUserFacts } from './standing.repository';

/**
 * A user's standing in a room (issue 14 item 2). `moderator` includes admins and global moderators;
 * `trusted` is the flag set with `trust add` (in the room or globally); `newUser` is the raw fact:
 * fewer than the room's new-user posts accepted there, or first seen there less than its new-user
 * age ago (src/moderation/room-moderation.ts).
 */
export interface Standing {
  moderator: boolean;
  trusted: boolean;
  newUser: boolean;
}

/** A user's standing in a room, looked up when first asked, then shared by everything that asks about one action. */
export type StandingLookup = () => Promise<Standing>;

/** Rules "for new users" apply to this user: new, and neither trusted nor a moderator. */
export function isRestrictedNewUser(s: Standing): boolean {
  return !s.moderator && !s.trusted && s.newUser;
}

/** Rules "for untrusted users" apply to this user: neither trusted nor a moderator. */
export function isUntrusted(s: Standing): boolean {
  return !s.moderator && !s.trusted;
}

/** The new-user fact from the counted facts and the room's settings, at `now`. */
export function isNewUser(facts: NewUserFacts, settings: Pick<RoomModeration, 'newUserPosts' | 'newUserAge'>, now: number): boolean {
  if (facts.accepted < settings.newUserPosts) return true;
  if (settings.newUserAge === 0) return false;
  return facts.firstSeen === null || now - facts.firstSeen < settings.newUserAge;
}

/**
 * The one owner of standing: every rule about new or untrusted users asks here and decides with
 * the predicates above. Depends on nothing but the database, so the rooms module may use it too.
 */
@Injectable()
export class StandingService {
  constructor(
    private readonly repo: StandingRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** The user's standing in the room; 404 when either is unknown. */
  async standing(roomId: number, userId: number): Promise<Standing> {
    const found = await this.repo.roomAndUser(roomId, userId);
    if (!found) throw new NotFoundException('No such room or user');
    return this.standingWith(found.room, effectivePermissions(found.room, found.user, found.override, this.clock.seconds()), userId);
  }

  /**
   * The same for a caller that holds the room and the user's permissions already (the post path,
   * from the route guard's cached look-up): one query, for the new-user fact only.
   */
  async standingWith(room: Room, permissions: Pick<RoomPermissions, 'moderator' | 'trusted'>, userId: number): Promise<Standing> {
    const settings = roomModeration(room, this.config);
    const facts = await this.repo.newUserFacts(room.id, userId, settings.newUserPosts);
    return { moderator: permissions.moderator, trusted: permissions.trusted, newUser: isNewUser(facts, settings, this.clock.seconds()) };
  }

  /** `standingWith` for one post: the content rules, the plugins and the held mode each may ask; the query runs at most once, and only if one does. */
  lookupOnce(room: Room, permissions: Pick<RoomPermissions, 'moderator' | 'trusted'>, userId: number): StandingLookup {
    let found: Promise<Standing> | undefined;
    return () => (found ??= this.standingWith(room, permissions, userId));
  }
}
