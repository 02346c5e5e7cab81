import { Injectable } from '@nestjs/common';
import type { Room } from '../generated/prisma/client';
import { RateLimiter, type RatePlace, type RateTake, type RefusalAudit } from '../rate-limit/rate-limiter';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { RoomPermissions } from './permissions';
import { PostRules } from './post-rules';

const DAY = 86_400;

/**
 * The rate limits of posting, reacting and uploading in a room (issue 15 items 1 and 3), one owner
 * for every path: the room's slow mode (else the server's post rate limit), the room's quotas and
 * the server-wide ones. All count in Redis (RateLimiter), so they hold across API processes; the
 * subject is the user row, one for both blinded forms of a user. Moderators are exempt from the
 * room's own limits; the server's keep their exemptions (admins for the post rate).
 */
@Injectable()
export class RoomLimits {
  constructor(
    private readonly rules: PostRules,
    private readonly limiter: RateLimiter,
  ) {}

  /** Takes a post's places in every window, or throws a 429 with the reason (nothing taken). */
  takePost(room: Room, permissions: RoomPermissions, user: AuthenticatedUser): Promise<RatePlace[]> {
    const own = this.rules.ownPolicyOf(room);
    const quotas = this.rules.policyOf(room).quotas;
    const here = `${room.id}:${user.id}`;
    const audit = refusalAudit(room, user);
    const takes: RateTake[] = [];
    if (own.slowMode) {
      const { posts, seconds } = own.slowMode;
      if (!permissions.moderator)
        takes.push({
          rule: 'slow-mode',
          subject: here,
          limit: { points: posts, windowSeconds: seconds, window: 'sliding', refusal: `Slow mode: at most ${posts} posts per ${seconds} seconds in this room` },
          audit,
        });
    } else if (!permissions.admin) takes.push({ rule: 'post', subject: here });
    if (!permissions.moderator) takes.push({ rule: 'room-posts', subject: here, limit: dailyQuota(quotas.postsPerDay, 'posts'), audit });
    if (!permissions.globalModerator) takes.push({ rule: 'posts-day', subject: String(user.id), audit });
    return this.limiter.consumeAll(takes);
  }

  /** Takes an added reaction's places: the server's reaction rate and the room's reactions per minute. */
  takeReaction(room: Room, permissions: RoomPermissions, user: AuthenticatedUser): Promise<RatePlace[]> {
    const perMinute = this.rules.policyOf(room).quotas.reactionsPerMinute;
    const takes: RateTake[] = [{ rule: 'reaction', subject: String(user.id) }];
    if (!permissions.moderator) {
      takes.push({
        rule: 'room-reactions',
        subject: `${room.id}:${user.id}`,
        limit: { points: perMinute, windowSeconds: 60, window: 'sliding', refusal: `Reaction quota exceeded: at most ${perMinute} reactions per minute in this room` },
        audit: refusalAudit(room, user),
      });
    }
    return this.limiter.consumeAll(takes);
  }

  /** The windows an upload of `bytes` takes: the server's upload quota and the room's bytes per day. */
  uploadTakes(room: Room, permissions: RoomPermissions, user: AuthenticatedUser, bytes: number): RateTake[] {
    const takes: RateTake[] = [{ rule: 'upload-bytes', subject: String(user.id), points: bytes }];
    if (!permissions.moderator) {
      takes.push({
        rule: 'room-upload-bytes',
        subject: `${room.id}:${user.id}`,
        points: bytes,
        limit: dailyQuota(this.rules.policyOf(room).quotas.uploadBytesPerDay, 'bytes uploaded'),
        audit: refusalAudit(room, user),
      });
    }
    return takes;
  }

  refund(places: readonly RatePlace[]): Promise<void> {
    return this.limiter.refundAll(places);
  }
}

/** The policy rules (slow mode, quotas) audit-log their refusals against the user in the room; the server's own rate limits do not. */
function refusalAudit(room: Room, user: AuthenticatedUser): RefusalAudit {
  return { room: { id: room.id, token: room.token }, target: user.sessionId };
}

/** A room's per-day quota over a rolling window (0 = none). */
function dailyQuota(points: number, what: string) {
  return { points, windowSeconds: DAY, window: 'rolling', refusal: `Quota exceeded: at most ${points} ${what} per day in this room` } as const;
}
