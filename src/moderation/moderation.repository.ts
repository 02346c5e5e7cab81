import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { Prisma, type UserPermissionOverride } from '../generated/prisma/client';
import type { FutureEntry, OverrideFlags } from './permission-object';
import { SYSTEM_USER_ID } from '../users/system-user';

export type Db = PrismaService | Prisma.TransactionClient;

/** The override columns a change may set (protocol §8 user_permission_overrides). */
export type OverridePatch = Partial<
  Pick<
    UserPermissionOverride,
    'banned' | 'shadowBanned' | 'trusted' | 'mutedUntil' | 'muteReason' | 'read' | 'accessible' | 'write' | 'upload' | 'moderator' | 'admin' | 'visibleMod'
  >
>;

export interface PermissionFlagsPatch {
  read?: boolean | null;
  write?: boolean | null;
  upload?: boolean | null;
}

/** One scheduled change as the futurePermissions endpoints list it (protocol §6.7). */
export type FutureRow = FutureEntry;

export interface OverrideWithSessionId extends UserPermissionOverride {
  sessionId: string;
}

export interface DuePermissionFuture {
  id: number;
  sessionId: string;
  roomId: number;
  userId: number;
  read: boolean | null;
  write: boolean | null;
  upload: boolean | null;
}

export interface DueBanFuture {
  id: number;
  sessionId: string;
  roomId: number | null;
  userId: number;
  banned: boolean;
  /** The change is to the shadow ban. */
  shadow: boolean;
}

/** A ban or shadow ban in force, with its scheduled end (null = permanent), for `bans list`. */
export interface BanRow {
  sessionId: string;
  room: string | null;
  shadow: boolean;
  until: number | null;
}

/** A user's global flags as a change locks them. */
export interface UserFlags {
  banned: boolean;
  shadowBanned: boolean;
  moderator: boolean;
  admin: boolean;
  visibleMod: boolean;
}

/** A moderator or admin, global (room null) or of one room, for `mods list`. */
export interface ModeratorRow {
  sessionId: string;
  room: string | null;
  admin: boolean;
  visible: boolean;
}

/** A mute in force, global (room null) or in one room, for `mute list`. */
export interface MuteRow {
  sessionId: string;
  room: string | null;
  until: number;
  reason: string | null;
}

/** A mute whose time has come: global (roomId null) or in one room. */
export interface DueMute {
  roomId: number | null;
  userId: number;
  sessionId: string;
}

/** A trusted flag in force: global (room null) or in one room, for `trust list`. */
export interface TrustRow {
  sessionId: string;
  room: string | null;
}

/** A user's moderation flags in one scope (a room, or the whole server). */
export interface ModerationFlags {
  banned: boolean;
  bannedUntil: number | null;
  moderator: boolean;
  admin: boolean;
  /** Trusted in this scope (issue 14 item 2). */
  trusted: boolean;
  /** A mute in this scope (issue 14 item 6): until when, and why; null when none. */
  mutedUntil: number | null;
  muteReason: string | null;
}

/** What one user is in one room they were active in, posted in, or have an override in. */
export interface RoomStandingRow extends ModerationFlags {
  room: string;
  lastActive: number | null;
  posts: number;
  lastPosted: number | null;
  read: boolean | null;
  write: boolean | null;
  upload: boolean | null;
}

/** An override row that says nothing beyond the room defaults is deleted (protocol §8). */
export function isDefaultOverride(o: OverridePatch & Pick<UserPermissionOverride, 'banned' | 'moderator' | 'admin'>): boolean {
  return (
    !o.banned && !o.shadowBanned && !o.trusted && o.mutedUntil == null && !o.moderator && !o.admin && o.read == null && o.accessible == null && o.write == null && o.upload == null
  );
}

/**
 * I/O of moderation state: permission overrides, permission and ban futures and global flags
 * (protocol §8). Rooms and their info_updates belong to RoomsService.
 */
@Injectable()
export class ModerationRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 30_000 });
  }

  override(roomId: number, userId: number, db: Db = this.prisma): Promise<UserPermissionOverride | null> {
    return db.userPermissionOverride.findUnique({ where: { roomId_userId: { roomId, userId } } });
  }

  overridesOfUser(userId: number, roomIds: number[], db: Db = this.prisma): Promise<UserPermissionOverride[]> {
    return db.userPermissionOverride.findMany({ where: { userId, roomId: { in: roomIds } } });
  }

  async roomOverrides(roomId: number): Promise<OverrideWithSessionId[]> {
    const rows = await this.prisma.userPermissionOverride.findMany({
      where: { roomId },
      include: { user: { select: { sessionId: true } } },
      orderBy: { userId: 'asc' },
    });
    return rows.map(({ user, ...o }) => ({ ...o, sessionId: user.sessionId }));
  }

  /**
   * Applies `patch` to the (room, user) override, creating the row if needed and deleting it when
   * it ends up all-default. The row is locked first so `before` is what the change replaced.
   */
  async writeOverride(
    roomId: number,
    userId: number,
    patch: OverridePatch,
    db: Prisma.TransactionClient,
  ): Promise<{ before: UserPermissionOverride | null; after: UserPermissionOverride | null }> {
    const before = (await this.lockOverride(roomId, userId, db)) ? await this.override(roomId, userId, db) : null;
    return this.applyOverride(roomId, userId, patch, before, db);
  }

  /** Changes an existing override only (removals never create rows). */
  async updateOverrideIfExists(
    roomId: number,
    userId: number,
    patch: OverridePatch,
    db: Prisma.TransactionClient,
  ): Promise<{ before: UserPermissionOverride | null; after: UserPermissionOverride | null }> {
    if (!(await this.lockOverride(roomId, userId, db))) return { before: null, after: null };
    return this.applyOverride(roomId, userId, patch, await this.override(roomId, userId, db), db);
  }

  /** Locks the (room, user) override row if it exists, so `before` is what a change replaces. */
  private async lockOverride(roomId: number, userId: number, db: Prisma.TransactionClient): Promise<boolean> {
    const locked = await db.$queryRaw<{ room: number }[]>`
      SELECT room FROM user_permission_overrides WHERE room = ${roomId} AND "user" = ${userId} FOR UPDATE`;
    return locked.length > 0;
  }

  private async applyOverride(
    roomId: number,
    userId: number,
    patch: OverridePatch,
    before: UserPermissionOverride | null,
    db: Prisma.TransactionClient,
  ): Promise<{ before: UserPermissionOverride | null; after: UserPermissionOverride | null }> {
    const written = await db.userPermissionOverride.upsert({
      where: { roomId_userId: { roomId, userId } },
      create: { roomId, userId, ...patch },
      update: patch,
    });
    if (isDefaultOverride(written)) {
      await db.userPermissionOverride.delete({ where: { roomId_userId: { roomId, userId } } });
      return { before, after: null };
    }
    return { before, after: written };
  }

  async deleteRoomActivity(roomId: number, userId: number, db: Db): Promise<void> {
    await db.roomUser.deleteMany({ where: { roomId, userId } });
  }

  /** Locks and returns the user's global flags for a change. */
  async lockUser(userId: number, db: Prisma.TransactionClient): Promise<UserFlags | null> {
    const rows = await db.$queryRaw<UserFlags[]>`
      SELECT banned, shadow_banned AS "shadowBanned", moderator, admin, visible_mod AS "visibleMod" FROM users WHERE id = ${userId} FOR UPDATE`;
    return rows[0] ?? null;
  }

  async updateUserFlags(
    userId: number,
    data: {
      banned?: boolean;
      shadowBanned?: boolean;
      trusted?: boolean;
      mutedUntil?: number | null;
      muteReason?: string | null;
      moderator?: boolean;
      admin?: boolean;
      visibleMod?: boolean;
    },
    db: Db,
  ): Promise<void> {
    await db.user.update({ where: { id: userId }, data });
  }

  /** Replaces the user's scheduled (un)bans, or shadow (un)bans, at one level (room, or global when roomId is null). */
  async replaceBanFutures(roomId: number | null, userId: number, unbanAt: number | null, db: Db, shadow = false): Promise<void> {
    await db.userBanFuture.deleteMany({ where: { roomId, userId, shadow } });
    if (unbanAt !== null) await db.userBanFuture.create({ data: { roomId, userId, at: unbanAt, banned: false, shadow } });
  }

  /** Global moderators and admins, then room ones (of one room, or of every room when roomId is null). */
  moderators(roomId: number | null): Promise<ModeratorRow[]> {
    const inRoom = roomId === null ? Prisma.sql`TRUE` : Prisma.sql`o.room = ${roomId}`;
    return this.prisma.$queryRaw<ModeratorRow[]>`
      SELECT session_id AS "sessionId", NULL::text AS room, admin, visible_mod AS visible FROM users
        WHERE (moderator OR admin) AND id <> ${SYSTEM_USER_ID}
      UNION ALL
      SELECT u.session_id, r.token::text, o.admin, o.visible_mod FROM user_permission_overrides o
        JOIN users u ON u.id = o."user" JOIN rooms r ON r.id = o.room
        WHERE ${inRoom} AND (o.moderator OR o.admin) AND u.id <> ${SYSTEM_USER_ID}
      ORDER BY room NULLS FIRST, "sessionId"`;
  }

  /** Bans and shadow bans in force, global (room null) and per room, one room's or all. */
  bans(roomId: number | null): Promise<BanRow[]> {
    const inRoom = roomId === null ? Prisma.sql`TRUE` : Prisma.sql`o.room = ${roomId}`;
    return this.prisma.$queryRaw<BanRow[]>`
      SELECT u.session_id AS "sessionId", b.room, b.shadow,
        (SELECT min(f.at) FROM user_ban_futures f WHERE f."user" = b."user" AND f.room IS NOT DISTINCT FROM b.room_id AND f.shadow = b.shadow AND NOT f.banned) AS until
      FROM (
        SELECT id AS "user", NULL::integer AS room_id, NULL::text AS room, k.shadow FROM users
          CROSS JOIN (VALUES (false), (true)) k(shadow)
          WHERE (NOT k.shadow AND banned) OR (k.shadow AND shadow_banned)
        UNION ALL
        SELECT o."user", o.room, r.token::text, k.shadow FROM user_permission_overrides o JOIN rooms r ON r.id = o.room
          CROSS JOIN (VALUES (false), (true)) k(shadow)
          WHERE ${inRoom} AND ((NOT k.shadow AND o.banned) OR (k.shadow AND o.shadow_banned))
      ) b JOIN users u ON u.id = b."user"
      ORDER BY b.room NULLS FIRST, u.session_id, b.shadow`;
  }

  /**
   * Mutes in force at `now`, global (room null) and per room; with a room, the global ones and that
   * room's. A mute past its end is over already (permissions compare the time) even before the futures job clears it.
   */
  mutes(roomId: number | null, now: number): Promise<MuteRow[]> {
    const inRoom = roomId === null ? Prisma.sql`TRUE` : Prisma.sql`o.room = ${roomId}`;
    return this.prisma.$queryRaw<MuteRow[]>`
      SELECT m."sessionId", m.room, m.until, m.reason FROM (
        SELECT u.session_id AS "sessionId", NULL::text AS room, u.muted_until AS until, u.mute_reason AS reason FROM users u WHERE u.muted_until > ${now}
        UNION ALL
        SELECT u.session_id, r.token::text, o.muted_until, o.mute_reason FROM user_permission_overrides o
          JOIN rooms r ON r.id = o.room JOIN users u ON u.id = o."user"
          WHERE o.muted_until > ${now} AND ${inRoom}
      ) m ORDER BY m.room NULLS FIRST, m."sessionId"`;
  }

  /** Trusted flags, global and per room; with a room, the global ones and that room's. */
  trusted(roomId: number | null): Promise<TrustRow[]> {
    const inRoom = roomId === null ? Prisma.sql`TRUE` : Prisma.sql`o.room = ${roomId}`;
    return this.prisma.$queryRaw<TrustRow[]>`
      SELECT t."sessionId", t.room FROM (
        SELECT u.session_id AS "sessionId", NULL::text AS room FROM users u WHERE u.trusted
        UNION ALL
        SELECT u.session_id, r.token::text FROM user_permission_overrides o
          JOIN rooms r ON r.id = o.room JOIN users u ON u.id = o."user"
          WHERE o.trusted AND ${inRoom}
      ) t ORDER BY t.room NULLS FIRST, t."sessionId"`;
  }

  /** Clears the named flags of every scheduled change and drops changes left empty (protocol §13). */
  async clearPermissionFutures(roomId: number, userId: number, flags: Array<'read' | 'write' | 'upload'>, db: Db): Promise<void> {
    if (!flags.length) return;
    const data: PermissionFlagsPatch = {};
    for (const f of flags) data[f] = null;
    await db.userPermissionFuture.updateMany({ where: { roomId, userId }, data });
    await db.userPermissionFuture.deleteMany({ where: { roomId, userId, read: null, write: null, upload: null } });
  }

  async addPermissionFuture(roomId: number, userId: number, at: number, flags: PermissionFlagsPatch, db: Db = this.prisma): Promise<void> {
    await db.userPermissionFuture.create({ data: { roomId, userId, at, ...flags } });
  }

  /** Scheduled permission changes and room (un)bans of a room, optionally of one user, by `at`. */
  futures(roomId: number, userId?: number): Promise<FutureRow[]> {
    return this.prisma.$queryRaw<FutureRow[]>`
      SELECT u.session_id AS "sessionId", f.at, f.read, f.write, f.upload, f.banned FROM (
        SELECT "user", at, read, write, upload, NULL::boolean AS banned, id, 0 AS kind
          FROM user_permission_futures WHERE room = ${roomId}
        UNION ALL
        SELECT "user", at, NULL, NULL, NULL, banned, id, 1 AS kind
          FROM user_ban_futures WHERE room = ${roomId} AND NOT shadow
      ) f JOIN users u ON u.id = f."user"
      WHERE ${userId ?? null}::integer IS NULL OR f."user" = ${userId ?? null}::integer
      ORDER BY f.at, f.kind, f.id`;
  }

  /** Due permission changes, claimed for this transaction (other replicas skip them). */
  duePermissionFutures(now: number, limit: number, db: Prisma.TransactionClient): Promise<DuePermissionFuture[]> {
    return db.$queryRaw<DuePermissionFuture[]>`
      SELECT f.id, f.room AS "roomId", f."user" AS "userId", u.session_id AS "sessionId", f.read, f.write, f.upload
      FROM user_permission_futures f JOIN users u ON u.id = f."user"
      WHERE f.at <= ${now} ORDER BY f.at, f.id LIMIT ${limit} FOR UPDATE OF f SKIP LOCKED`;
  }

  dueBanFutures(now: number, limit: number, db: Prisma.TransactionClient): Promise<DueBanFuture[]> {
    return db.$queryRaw<DueBanFuture[]>`
      SELECT f.id, f.room AS "roomId", f."user" AS "userId", u.session_id AS "sessionId", f.banned, f.shadow
      FROM user_ban_futures f JOIN users u ON u.id = f."user"
      WHERE f.at <= ${now} ORDER BY f.at, f.id LIMIT ${limit} FOR UPDATE OF f SKIP LOCKED`;
  }

  /** Mutes ended by `now`, global and per room, claimed for this transaction (other replicas skip them). */
  async dueMutes(now: number, limit: number, db: Prisma.TransactionClient): Promise<DueMute[]> {
    const global = await db.$queryRaw<DueMute[]>`
      SELECT NULL::integer AS "roomId", u.id AS "userId", u.session_id AS "sessionId" FROM users u
      WHERE u.muted_until <= ${now} ORDER BY u.muted_until, u.id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    const inRooms = await db.$queryRaw<DueMute[]>`
      SELECT o.room AS "roomId", o."user" AS "userId", u.session_id AS "sessionId"
      FROM user_permission_overrides o JOIN users u ON u.id = o."user"
      WHERE o.muted_until <= ${now} ORDER BY o.muted_until, o.room, o."user" LIMIT ${limit} FOR UPDATE OF o SKIP LOCKED`;
    return [...global, ...inRooms];
  }

  async deletePermissionFutures(ids: number[], db: Db): Promise<void> {
    if (ids.length) await db.userPermissionFuture.deleteMany({ where: { id: { in: ids } } });
  }

  async deleteBanFutures(ids: number[], db: Db): Promise<void> {
    if (ids.length) await db.userBanFuture.deleteMany({ where: { id: { in: ids } } });
  }

  /** The user's activity, posts, bans and overrides per room (rooms without any of them are left out). */
  roomStanding(userId: number): Promise<RoomStandingRow[]> {
    return this.prisma.$queryRaw<RoomStandingRow[]>`
      SELECT r.token::text AS room, ru.last_active AS "lastActive",
             (SELECT count(*) FROM messages m WHERE m.room = r.id AND m."user" = ${userId})::int AS posts,
             (SELECT max(m.posted) FROM messages m WHERE m.room = r.id AND m."user" = ${userId}) AS "lastPosted",
             coalesce(o.banned, false) AS banned,
             (SELECT min(f.at) FROM user_ban_futures f WHERE f."user" = ${userId} AND f.room = r.id AND NOT f.banned) AS "bannedUntil",
             coalesce(o.moderator, false) AS moderator, coalesce(o.admin, false) AS admin, coalesce(o.trusted, false) AS trusted,
             o.muted_until AS "mutedUntil", o.mute_reason AS "muteReason",
             o.read, o.write, o.upload
      FROM rooms r
      LEFT JOIN room_users ru ON ru.room = r.id AND ru."user" = ${userId}
      LEFT JOIN user_permission_overrides o ON o.room = r.id AND o."user" = ${userId}
      WHERE ru."user" IS NOT NULL OR o."user" IS NOT NULL OR EXISTS (SELECT 1 FROM messages m WHERE m.room = r.id AND m."user" = ${userId})
      ORDER BY lower(r.token::text)`;
  }

  /** When the user's global ban is scheduled to end; null when none is. */
  async globalUnbanAt(userId: number): Promise<number | null> {
    const future = await this.prisma.userBanFuture.findFirst({ where: { userId, roomId: null, banned: false }, orderBy: { at: 'asc' } });
    return future?.at ?? null;
  }

  // ---- import from another server (insert-if-absent)

  async importOverride(o: OverrideFlags & { roomId: number; userId: number }): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO user_permission_overrides (room, "user", banned, read, accessible, write, upload, moderator, admin, visible_mod)
      VALUES (${o.roomId}, ${o.userId}, ${o.banned}, ${o.read}, ${o.accessible}, ${o.write}, ${o.upload}, ${o.moderator}, ${o.admin}, ${o.visibleMod})
      ON CONFLICT DO NOTHING`;
  }

  async importPermissionFuture(f: { roomId: number; userId: number; at: number; read: boolean | null; write: boolean | null; upload: boolean | null }): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO user_permission_futures (room, "user", at, read, write, upload)
      SELECT ${f.roomId}, ${f.userId}, ${f.at}, ${f.read}, ${f.write}, ${f.upload}
      WHERE NOT EXISTS (SELECT 1 FROM user_permission_futures WHERE room = ${f.roomId} AND "user" = ${f.userId} AND at = ${f.at})`;
  }

  async importBanFuture(f: { roomId: number | null; userId: number; at: number; banned: boolean }): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO user_ban_futures (room, "user", at, banned)
      SELECT ${f.roomId}, ${f.userId}, ${f.at}, ${f.banned}
      WHERE NOT EXISTS (SELECT 1 FROM user_ban_futures WHERE room IS NOT DISTINCT FROM ${f.roomId} AND "user" = ${f.userId} AND at = ${f.at})`;
  }
}
