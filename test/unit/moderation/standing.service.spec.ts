import type { Room, User, UserPermissionOverride } from '../../../src/generated/prisma/client';
import { roomModeration, roomModerationChangeSchema } from '../../../src/moderation/room-moderation';
import type { NewUserFacts, StandingRepository } from '../../../src/moderation/standing.repository';
import { isNewUser, isRestrictedNewUser, isUntrusted, StandingService, type Standing } from '../../../src/moderation/standing.service';
import { effectivePermissions } from '../../../src/rooms/permissions';
import { asFake, FixedClock, overrideRow, roomRow, unitConfig } from '../support/fakes';

// Issue 14 item 2: who is new, trusted or a moderator in a room, and the two predicates every rule
// about new or untrusted users decides with.

const DAY = 86400;

describe('standing predicates', () => {
  const all = [false, true].flatMap((moderator) => [false, true].flatMap((trusted) => [false, true].map((newUser) => ({ moderator, trusted, newUser }))));

  it('a restricted new user is new and neither trusted nor a moderator', () => {
    expect(all.filter(isRestrictedNewUser)).toEqual([{ moderator: false, trusted: false, newUser: true }]);
  });

  it('an untrusted user is neither trusted nor a moderator, new or not', () => {
    expect(all.filter(isUntrusted)).toEqual([
      { moderator: false, trusted: false, newUser: false },
      { moderator: false, trusted: false, newUser: true },
    ]);
  });
});

describe('isNewUser', () => {
  const now = 10 * DAY;
  const settings = { newUserPosts: 3, newUserAge: DAY };

  it('is new with fewer accepted posts than the bound, however long known', () => {
    expect(isNewUser({ accepted: 2, firstSeen: 0 }, settings, now)).toBe(true);
    expect(isNewUser({ accepted: 3, firstSeen: 0 }, settings, now)).toBe(false);
  });

  it('is new when first seen less than the age ago, or never seen, whatever the posts', () => {
    expect(isNewUser({ accepted: 50, firstSeen: now - DAY + 1 }, settings, now)).toBe(true);
    expect(isNewUser({ accepted: 50, firstSeen: now - DAY }, settings, now)).toBe(false);
    expect(isNewUser({ accepted: 50, firstSeen: null }, settings, now)).toBe(true);
  });

  it('0 turns each half off; both 0: nobody is new', () => {
    expect(isNewUser({ accepted: 0, firstSeen: now }, { newUserPosts: 0, newUserAge: DAY }, now)).toBe(true);
    expect(isNewUser({ accepted: 0, firstSeen: now }, { newUserPosts: 3, newUserAge: 0 }, now)).toBe(true);
    expect(isNewUser({ accepted: 0, firstSeen: null }, { newUserPosts: 0, newUserAge: 0 }, now)).toBe(false);
  });
});

describe('room moderation settings', () => {
  const config = unitConfig({ NEW_USER_POSTS: 5, NEW_USER_AGE: 7200, HELD_MODE: 'new', REPORT_THRESHOLD: 4, REPORT_EMOJI: '⚠️' });
  const unset = { newUserPosts: null, newUserAge: null, heldMode: null, reportThreshold: null, approveEmoji: null, rejectEmoji: null, reportEmoji: null };

  it("a room's own value wins over the server default; NULL takes the default", () => {
    expect(roomModeration(unset, config)).toEqual({
      newUserPosts: 5,
      newUserAge: 7200,
      heldMode: 'new',
      reportThreshold: 4,
      approveEmoji: '✅',
      rejectEmoji: '❌',
      reportEmoji: '⚠️',
    });
    const own = { newUserPosts: 0, newUserAge: 60, heldMode: 'all', reportThreshold: 2, approveEmoji: '👌', rejectEmoji: '🗑️', reportEmoji: '🚨' };
    expect(roomModeration(own, config)).toEqual(own);
  });

  it('the server defaults: 3 posts and a day, nothing held, 3 reports, ✅ ❌ 🚩; an unknown stored held mode reads as the default', () => {
    expect(roomModeration(unset, unitConfig())).toEqual({
      newUserPosts: 3,
      newUserAge: DAY,
      heldMode: 'off',
      reportThreshold: 3,
      approveEmoji: '✅',
      rejectEmoji: '❌',
      reportEmoji: '🚩',
    });
    expect(roomModeration({ ...unset, heldMode: 'sometimes' }, config).heldMode).toBe('new');
  });

  it('a change takes whole numbers in range, null (back to the default), and nothing unknown', () => {
    expect(roomModerationChangeSchema.safeParse({ newUserPosts: 2, newUserAge: null }).success).toBe(true);
    expect(roomModerationChangeSchema.safeParse({ newUserPosts: -1 }).success).toBe(false);
    expect(roomModerationChangeSchema.safeParse({ newUserPosts: 1.5 }).success).toBe(false);
    expect(roomModerationChangeSchema.safeParse({ newUserAge: 400 * DAY }).success).toBe(false);
    expect(roomModerationChangeSchema.safeParse({ slowMode: 3 }).success).toBe(false);
  });

  it('held modes, report thresholds and emoji are checked too', () => {
    expect(roomModerationChangeSchema.safeParse({ heldMode: 'untrusted', reportThreshold: 5, reportEmoji: '🏳️‍🌈', approveEmoji: null }).success).toBe(true);
    expect(roomModerationChangeSchema.safeParse({ heldMode: 'sometimes' }).success).toBe(false);
    expect(roomModerationChangeSchema.safeParse({ reportThreshold: 0 }).success).toBe(false);
    expect(roomModerationChangeSchema.safeParse({ reportEmoji: '' }).success).toBe(false);
    expect(roomModerationChangeSchema.safeParse({ approveEmoji: 'o k' }).success).toBe(false);
    expect(roomModerationChangeSchema.safeParse({ rejectEmoji: 'x'.repeat(13) }).success).toBe(false);
  });
});

describe('StandingService', () => {
  const clock = new FixedClock();
  const now = clock.seconds();

  function user(fields: Partial<User> = {}): User {
    return {
      id: 9,
      sessionId: '15' + '9'.repeat(64),
      canonicalId: '15' + '9'.repeat(64),
      created: 0,
      lastActive: 0,
      banned: false,
      moderator: false,
      admin: false,
      visibleMod: false,
      shadowBanned: false,
      trusted: false,
      mutedUntil: null,
      muteReason: null,
      ...fields,
    };
  }
  function override(fields: Partial<UserPermissionOverride>): UserPermissionOverride {
    return overrideRow(1, 9, fields);
  }

  function setup(rows: { room?: Room; user?: User; override?: UserPermissionOverride | null; facts?: NewUserFacts } = {}) {
    const asked: Array<{ roomId: number; userId: number; upTo: number }> = [];
    const room = rows.room ?? roomRow({ id: 1, token: 'lobby' });
    const repo = asFake<StandingRepository>({
      roomAndUser: async (roomId: number, userId: number) => (roomId === room.id && userId === 9 ? { room, user: rows.user ?? user(), override: rows.override ?? null } : null),
      newUserFacts: async (roomId: number, userId: number, upTo: number) => {
        asked.push({ roomId, userId, upTo });
        return rows.facts ?? { accepted: 0, firstSeen: null };
      },
    });
    return { service: new StandingService(repo, unitConfig(), clock), asked, room };
  }

  it('a first-time poster is new, untrusted, not a moderator', async () => {
    const { service } = setup();
    await expect(service.standing(1, 9)).resolves.toEqual<Standing>({ moderator: false, trusted: false, newUser: true });
  });

  it('counts accepted posts only up to the room bound (its own value over the server default)', async () => {
    const { service, asked } = setup({ room: roomRow({ id: 1, token: 'lobby', newUserPosts: 10 }), facts: { accepted: 10, firstSeen: now - 2 * DAY } });
    await expect(service.standing(1, 9)).resolves.toEqual({ moderator: false, trusted: false, newUser: false });
    expect(asked).toEqual([{ roomId: 1, userId: 9, upTo: 10 }]);
  });

  it('applies the room age bound', async () => {
    const { service } = setup({ room: roomRow({ id: 1, token: 'lobby', newUserAge: 3 * DAY }), facts: { accepted: 3, firstSeen: now - 2 * DAY } });
    expect((await service.standing(1, 9)).newUser).toBe(true);
  });

  it('trusted in the room or globally; moderator as a room moderator, room admin or global moderator', async () => {
    expect((await setup({ override: override({ trusted: true }) }).service.standing(1, 9)).trusted).toBe(true);
    expect((await setup({ user: user({ trusted: true }) }).service.standing(1, 9)).trusted).toBe(true);
    expect((await setup({ override: override({ moderator: true }) }).service.standing(1, 9)).moderator).toBe(true);
    expect((await setup({ override: override({ admin: true }) }).service.standing(1, 9)).moderator).toBe(true);
    expect((await setup({ user: user({ moderator: true }) }).service.standing(1, 9)).moderator).toBe(true);
    // newUser stays the raw fact for moderators too; the predicates exempt them.
    const mod = await setup({ user: user({ admin: true }) }).service.standing(1, 9);
    expect(mod).toEqual({ moderator: true, trusted: false, newUser: true });
    expect(isRestrictedNewUser(mod)).toBe(false);
  });

  it('404 for an unknown room or user', async () => {
    await expect(setup().service.standing(2, 9)).rejects.toThrow('No such room or user');
  });

  it('standingWith uses the permissions in hand: one look-up, the new-user facts', async () => {
    const { service, asked, room } = setup({ facts: { accepted: 5, firstSeen: now - 2 * DAY } });
    const permissions = effectivePermissions(room, user(), override({ trusted: true }), now);
    await expect(service.standingWith(room, permissions, 9)).resolves.toEqual({ moderator: false, trusted: true, newUser: false });
    expect(asked).toHaveLength(1);
  });
});
