import { Injectable } from '@nestjs/common';
import { queryPrepared } from '../database/prepared';
import { PrismaService } from '../database/prisma.service';
import { Prisma, type User } from '../generated/prisma/client';
import { canonicalSessionId } from './session-id';
import { SYSTEM_USER_ID } from './system-user';

type Db = PrismaService | Prisma.TransactionClient;

interface UserRow {
  id: number;
  session_id: string;
  canonical_id: string;
  created: number;
  last_active: number;
  banned: boolean;
  moderator: boolean;
  admin: boolean;
  visible_mod: boolean;
  shadow_banned: boolean;
  trusted: boolean;
  muted_until: number | null;
  mute_reason: string | null;
}

const USER_RETURNING = Prisma.sql`id, session_id, canonical_id, created, last_active, banned, moderator, admin, visible_mod, shadow_banned, trusted, muted_until, mute_reason`;

/**
 * Insert-or-read of a plain user in one statement, so concurrent first requests of one user (under
 * either of its blinded ids) cannot collide: the row of the id first seen is the one returned. With
 * `unlessAwaitingAbs`, nothing is inserted (and no row returned) while a needs_blinding row waits
 * for that blinded key, since that user must be imported instead.
 */
function insertOrReadUser(sessionId: string, at: number, unlessAwaitingAbs?: string): Prisma.Sql {
  const guard = unlessAwaitingAbs === undefined ? Prisma.empty : Prisma.sql` WHERE NOT EXISTS (SELECT 1 FROM needs_blinding WHERE blinded_abs = ${unlessAwaitingAbs})`;
  return Prisma.sql`
    INSERT INTO users (session_id, created, last_active)
    SELECT ${sessionId}, ${at}::float8, ${at}::float8${guard}
    ON CONFLICT (canonical_id) DO UPDATE SET session_id = users.session_id
    RETURNING ${USER_RETURNING}`;
}

function fromRow(r: UserRow): User {
  return {
    id: r.id,
    sessionId: r.session_id,
    canonicalId: r.canonical_id,
    created: r.created,
    lastActive: r.last_active,
    banned: r.banned,
    moderator: r.moderator,
    admin: r.admin,
    visibleMod: r.visible_mod,
    shadowBanned: r.shadow_banned,
    trusted: r.trusted,
    mutedUntil: r.muted_until,
    muteReason: r.mute_reason,
  };
}

export interface ImportedUser {
  sessionId: string;
  created: number;
  lastActive: number;
  banned: boolean;
  moderator: boolean;
  admin: boolean;
  visibleMod: boolean;
}

/** Users table I/O and the 05→15 needs_blinding bookkeeping (protocol §2.4, §8). */
@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The user of a session id or of its negated blinded twin (one row for both, canonicalSessionId). */
  findBySessionId(sessionId: string, db: Db = this.prisma): Promise<User | null> {
    return db.user.findUnique({ where: { canonicalId: canonicalSessionId(sessionId) } });
  }

  findById(id: number, db: Db = this.prisma): Promise<User | null> {
    return db.user.findUnique({ where: { id } });
  }

  /** The user of this session id, created plain when absent (insertOrReadUser). */
  async upsert(sessionId: string, at: number, db: Db = this.prisma): Promise<User> {
    const rows = await db.$queryRaw<UserRow[]>(insertOrReadUser(sessionId, at));
    return fromRow(rows[0]);
  }

  /** Advances last_active to `at` unless it is there already: one cheap write per activity granule. */
  async touch(id: number, at: number): Promise<void> {
    await this.prisma.user.updateMany({ where: { id, lastActive: { lt: at } }, data: { lastActive: at } });
  }

  /** The system user keeps id 0 and follows the current server key (protocol §2.1). */
  async ensureSystemUser(sessionId: string): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO users (id, session_id, moderator, admin, visible_mod)
      VALUES (${SYSTEM_USER_ID}, ${sessionId}, TRUE, TRUE, FALSE)
      ON CONFLICT (id) DO UPDATE SET session_id = EXCLUDED.session_id, moderator = TRUE, admin = TRUE,
        visible_mod = FALSE, banned = FALSE`;
  }

  /**
   * Import on first sight (protocol §2.4): claims the needs_blinding row for `blindedAbs` and, if there
   * was one, creates the 15 user with the 05 user's global flags, clears them on the 05 row and
   * re-points overrides and futures. One transaction; the DELETE is the claim, so two concurrent
   * first requests import once. Returns the 15 user (imported or plain).
   */
  async importOrCreateBlinded(sessionId: string, abs: string, at: number): Promise<User> {
    // Almost every new user has nothing to import: then it is the upsert alone, one prepared
    // statement instead of a five-statement transaction (a member's first poll, issue 18).
    const [plain] = await queryPrepared<UserRow>(this.prisma.pool, insertOrReadUser(sessionId, at, abs));
    if (plain) return fromRow(plain);
    return this.prisma.$transaction(async (tx) => {
      const claimed = await tx.$queryRaw<{ user: number }[]>`
        DELETE FROM needs_blinding WHERE blinded_abs = ${abs} RETURNING "user"`;
      const existing = await this.findBySessionId(sessionId, tx);
      if (claimed.length === 0 || existing) return existing ?? this.upsert(sessionId, at, tx);
      const from = await tx.user.findUnique({ where: { id: claimed[0].user } });
      if (!from) return this.upsert(sessionId, at, tx);
      const created = await tx.user.create({
        data: {
          sessionId,
          created: from.created,
          lastActive: from.lastActive,
          banned: from.banned,
          moderator: from.moderator,
          admin: from.admin,
          visibleMod: from.visibleMod,
        },
      });
      await tx.user.update({ where: { id: from.id }, data: { banned: false, moderator: false, admin: false } });
      await tx.userPermissionOverride.updateMany({ where: { userId: from.id }, data: { userId: created.id } });
      await tx.userPermissionFuture.updateMany({ where: { userId: from.id }, data: { userId: created.id } });
      await tx.userBanFuture.updateMany({ where: { userId: from.id }, data: { userId: created.id } });
      return created;
    });
  }

  /** Remembers that a 05 user's permissions must move to `blindedAbs` when it appears (protocol §2.4). */
  async recordNeedsBlinding(userId: number, abs: string, db: Db = this.prisma): Promise<void> {
    await db.$executeRaw`
      INSERT INTO needs_blinding (blinded_abs, "user") VALUES (${abs}, ${userId}) ON CONFLICT DO NOTHING`;
  }

  /** 05 users holding anything that must follow them to their blinded id (protocol §2.4 startup). */
  async unblindedUsersNeedingBlinding(): Promise<{ id: number; sessionId: string }[]> {
    return this.prisma.$queryRaw<{ id: number; sessionId: string }[]>`
      SELECT u.id, u.session_id AS "sessionId" FROM users u
      WHERE u.session_id LIKE '05%'
        AND NOT EXISTS (SELECT 1 FROM needs_blinding nb WHERE nb."user" = u.id)
        AND (u.moderator OR u.admin OR u.banned
          OR EXISTS (SELECT 1 FROM user_permission_overrides o WHERE o."user" = u.id)
          OR EXISTS (SELECT 1 FROM user_permission_futures f WHERE f."user" = u.id)
          OR EXISTS (SELECT 1 FROM user_ban_futures b WHERE b."user" = u.id))`;
  }

  // ---- import from another server (rows keep their source's flags; a re-run changes nothing)

  /** Our id of the user with this session id, created with the given flags when absent. */
  async importUser(u: ImportedUser): Promise<{ id: number; inserted: boolean }> {
    // xmax = 0 only on a row this statement inserted (not on the conflict's updated one).
    const rows = await this.prisma.$queryRaw<Array<{ id: number; inserted: boolean }>>`
      INSERT INTO users (session_id, created, last_active, banned, moderator, admin, visible_mod)
      VALUES (${u.sessionId}, ${u.created}, ${u.lastActive}, ${u.banned}, ${u.moderator}, ${u.admin}, ${u.visibleMod})
      ON CONFLICT (session_id) DO UPDATE SET session_id = EXCLUDED.session_id
      RETURNING id, (xmax = 0) AS inserted`;
    return rows[0];
  }
}
