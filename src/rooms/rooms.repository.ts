import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Batcher } from '../database/batcher';
import { queryPrepared, statementRolledBack } from '../database/prepared';
import { PrismaService } from '../database/prisma.service';
import { attachToPostedSql, type FilesToAttach } from '../files/files.repository';
import { Prisma, type Room, type UserPermissionOverride } from '../generated/prisma/client';
import { MetricsService } from '../metrics/metrics.service';
import { canonicalSessionId } from '../users/session-id';
import { SYSTEM_USER_ID } from '../users/system-user';
import type { ReactionRow } from './message-view';
import { messageVisibleSql, personalUsersSql, reactionVisibleSql, sinceVisibleSql, type Hidden, type Viewer } from './visibility';

export type { Viewer } from './visibility';

export type Db = PrismaService | Prisma.TransactionClient;
export type Tx = Prisma.TransactionClient;
/** A row of the `since` statement: a message, its reactions' rows (null without data), the range's personal users. */
type SinceRow = MessageRow & { reactions: ReactionRow[] | null; personal: number[] };

/** A `since` read (RoomsRepository.since): its rows in seqno order, their reactions, the range's personal users. */
export interface SinceRead {
  rows: MessageRow[];
  reactions: ReactionRow[];
  personal: number[];
}

/** A message with its poster's and whisper target's session ids (pysogs `message_details`). */
export interface MessageRow {
  id: number;
  roomId: number;
  userId: number;
  sessionId: string;
  posted: number;
  edited: number | null;
  seqno: number;
  seqnoData: number;
  seqnoReactions: number;
  seqnoCreation: number;
  data: Uint8Array | null;
  signature: Uint8Array | null;
  filtered: boolean;
  whisperToId: number | null;
  whisperTo: string | null;
  whisperMods: boolean;
  /** Why only its author and moderators see it (src/rooms/visibility.ts), or null. */
  hidden: string | null;
}

/** A post as scs_post_message stores it; whisperTo is the recipient's session id, repeatSince null = no window. */
export interface NewPostRow {
  roomId: number;
  userId: number;
  /** The session id the post was signed as: the user's own or its negated blinded twin. */
  signedAs: string;
  posted: number;
  data: Uint8Array;
  signature: Uint8Array;
  filtered: boolean;
  whisperTo: string | null;
  whisperMods: boolean;
  repeatSince: number | null;
  files: FilesToAttach;
  hidden: Hidden | null;
}

/** What scs_post_message did: only `posted` changed anything; `repeated` carries the earlier message's id. */
export type PostOutcome =
  { outcome: 'posted'; id: number; seqno: number } | { outcome: 'repeated'; id: number; seqno: null } | { outcome: 'no_recipient' | 'no_room'; id: null; seqno: null };

export interface ModeratorRow {
  sessionId: string;
  admin: boolean;
  visible: boolean;
}

export interface RoomStats {
  messages: number;
  messageBytes: number;
  deleted: number;
  files: number;
  fileBytes: number;
  /** Users active within 1, 7, 14 and 30 days (protocol §10.1 `--list-rooms`). */
  active: { d1: number; d7: number; d14: number; d30: number };
}

export interface PinRow {
  id: number;
  pinnedAt: number;
  pinnedBy: string;
}

const ROOM_COLUMNS = Prisma.sql`r.id, r.token::text AS token, r.name, r.description, r.image AS "imageId", r.created,
  r.message_sequence AS "messageSequence", r.info_updates AS "infoUpdates", r.active_users AS "activeUsers",
  r.read, r.accessible, r.write, r.upload, r.policy, r.lockdown_until AS "lockdownUntil", r.lockdown_reason AS "lockdownReason", r.held_mode AS "heldMode", r.report_threshold AS "reportThreshold",
  r.approve_emoji AS "approveEmoji", r.reject_emoji AS "rejectEmoji", r.report_emoji AS "reportEmoji",
  r.new_user_posts AS "newUserPosts", r.new_user_age AS "newUserAge"`;

const MESSAGE_SELECT = Prisma.sql`SELECT m.id, m.room AS "roomId", m."user" AS "userId", coalesce(m.signed_as, u.session_id) AS "sessionId", m.posted, m.edited,
  m.seqno, m.seqno_data AS "seqnoData", m.seqno_reactions AS "seqnoReactions", m.seqno_creation AS "seqnoCreation",
  m.data, m.signature, m.filtered, m.whisper AS "whisperToId", w.session_id AS "whisperTo", m.whisper_mods AS "whisperMods", m.hidden
  FROM messages m JOIN users u ON u.id = m."user" LEFT JOIN users w ON w.id = m.whisper`;

/** A regular message (protocol §6.4, §6.5): exists, not deleted, not filtered, not a whisper. */
const REGULAR = Prisma.sql`m.data IS NOT NULL AND NOT m.filtered AND m.whisper IS NULL AND NOT m.whisper_mods`;

/** Message `id` of the room as `m`, a regular one (not deleted, filtered or a whisper), and one the viewer may see when one is given. */
function regularMessageSql(roomId: number, id: number, viewer?: Viewer): Prisma.Sql {
  const visible = viewer ? Prisma.sql`AND ${messageVisibleSql(viewer)}` : Prisma.empty;
  return Prisma.sql`m.room = ${roomId} AND m.id = ${id} AND ${REGULAR} ${visible}`;
}

/** A reaction change's seqno on its message: the message's own seqno follows unless its data changed later. */
const reactionsSeqnoSql = (seqno: number) => Prisma.sql`seqno_reactions = ${seqno}, seqno = GREATEST(seqno_data, ${seqno})`;

/**
 * Two CTEs, `removed` (the user-reactions `ur` of reactions `r` matching `which`, deleted; their
 * reaction and user) and `emptied` (the reaction rows this leaves without users, deleted). The
 * statement still sees the rows it deletes, so a reaction is emptied when every user it has is
 * among the removed.
 */
function removingUserReactionsSql(which: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`removed AS (
      DELETE FROM user_reactions ur USING reactions r WHERE ur.reaction = r.id AND ${which}
      RETURNING ur.reaction, ur."user"
    ), emptied AS (
      DELETE FROM reactions r WHERE r.id IN (SELECT reaction FROM removed)
        AND NOT EXISTS (SELECT 1 FROM user_reactions ur WHERE ur.reaction = r.id AND (ur.reaction, ur."user") NOT IN (SELECT reaction, "user" FROM removed))
    )`;
}

/** Each reactor of the messages `r` matching `messages`, as a ReactionRow with its rank `rn` among its reaction's reactors (by time). */
function reactionRowsSql(messages: Prisma.Sql, viewer: Viewer): Prisma.Sql {
  return Prisma.sql`
    SELECT r.message, r.id AS "reactionId", r.reaction, u.session_id AS "sessionId", ur.at,
      (count(*) OVER w)::int AS count, bool_or(ur."user" = ${viewer.userId ?? -1}) OVER w AS you,
      row_number() OVER (PARTITION BY r.id ORDER BY ur.at, ur."user") AS rn
    FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur."user"
    WHERE ${messages} AND ${reactionVisibleSql(viewer)}
    WINDOW w AS (PARTITION BY r.id)`;
}

/**
 * user_permission_overrides' column of each field of its row, for the batched read outside Prisma: a
 * field added to the model fails to compile here until the read selects it.
 */
const OVERRIDE_COLUMNS: Record<keyof UserPermissionOverride, string> = {
  roomId: 'room',
  userId: 'user',
  banned: 'banned',
  read: 'read',
  accessible: 'accessible',
  write: 'write',
  upload: 'upload',
  moderator: 'moderator',
  admin: 'admin',
  visibleMod: 'visible_mod',
  shadowBanned: 'shadow_banned',
  trusted: 'trusted',
  mutedUntil: 'muted_until',
  muteReason: 'mute_reason',
};
const OVERRIDE_SELECT = Prisma.raw(
  Object.entries(OVERRIDE_COLUMNS)
    .map(([field, column]) => `o."${column}" AS "${field}"`)
    .join(', '),
);

/** A room_users or user_permission_overrides row's key. */
type RoomUserKey = { roomId: number; userId: number };
type ActivityRow = RoomUserKey & { at: number };
const keyOf = (k: RoomUserKey) => `${k.roomId}:${k.userId}`;

/** The look-ups of one event-loop turn go together, however many (each turn brings what its requests ask). */
const ONE_TURN = { max: Infinity, windowMs: 0, concurrency: Infinity } as const;

type OverrideColumns = {
  oBanned: boolean | null;
  oRead: boolean | null;
  oAccessible: boolean | null;
  oWrite: boolean | null;
  oUpload: boolean | null;
  oModerator: boolean | null;
  oAdmin: boolean | null;
  oVisibleMod: boolean | null;
  oShadowBanned: boolean | null;
  oTrusted: boolean | null;
  oMutedUntil: number | null;
  oMuteReason: string | null;
};

export interface ImportedRoom {
  token: string;
  name: string;
  description: string | null;
  created: number;
  messageSequence: number;
  infoUpdates: number;
  activeUsers: number;
  read: boolean;
  accessible: boolean;
  write: boolean;
  upload: boolean;
}

/** A message row of another server's database, with its own id and seqnos. */
export type ImportedMessage = Omit<MessageRow, 'sessionId' | 'whisperTo' | 'data' | 'signature' | 'hidden'> & { data: Buffer | null; signature: Buffer | null };

/**
 * Postgres I/O of rooms, messages, reactions, pins and room activity (protocol §8). Counter changes
 * (`message_sequence`, `info_updates`) are single UPDATE … RETURNING statements: the room row
 * lock they take is held to commit, so concurrent writers on any replica serialise per room and
 * seqnos become visible in order.
 */
@Injectable()
export class RoomsRepository {
  /** Activity rows of one event-loop turn, written together (a member's first poll of many rooms is one statement). */
  private readonly activity = new Batcher<ActivityRow, boolean>({ ...ONE_TURN, run: (rows) => this.writeActivity(rows), retryAlone: statementRolledBack });
  /** Override look-ups of one turn (cache misses: a member's first poll of many rooms), read together. */
  private readonly overrides = new Batcher<RoomUserKey, UserPermissionOverride | null>({ ...ONE_TURN, run: (keys) => this.readOverrides(keys), retryAlone: () => false });
  /** Posts waiting for the database, stored in group commits (postMessage). */
  private readonly posts: Batcher<NewPostRow, PostOutcome>;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.posts = new Batcher({
      max: config.POST_BATCH_MAX,
      maxWeight: config.POST_BATCH_MAX_BYTES,
      weigh: (p) => p.data.length + p.signature.length,
      windowMs: config.POST_BATCH_WINDOW_MS,
      concurrency: config.POST_BATCH_CONCURRENCY,
      run: (posts) => this.postMessages(posts),
      retryAlone: statementRolledBack,
      observe: (size) => metrics.postBatchSize.observe(size),
    });
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work, { timeout: 30_000, maxWait: 10_000 });
  }

  // ---- rooms

  /** The room (token compared as citext, protocol §5) and the user's override row, in one query. */
  async roomWithOverride(token: string, userId: number | null): Promise<{ room: Room; override: UserPermissionOverride | null } | null> {
    const rows = await this.prisma.$queryRaw<Array<Room & OverrideColumns>>`
      SELECT ${ROOM_COLUMNS}, o.banned AS "oBanned", o.read AS "oRead", o.accessible AS "oAccessible", o.write AS "oWrite",
        o.upload AS "oUpload", o.moderator AS "oModerator", o.admin AS "oAdmin", o.visible_mod AS "oVisibleMod",
        o.shadow_banned AS "oShadowBanned", o.trusted AS "oTrusted",
        o.muted_until AS "oMutedUntil", o.mute_reason AS "oMuteReason"
      FROM rooms r LEFT JOIN user_permission_overrides o ON o.room = r.id AND o."user" = ${userId ?? -1}
      WHERE r.token = ${token}::citext`;
    const row = rows[0];
    if (!row) return null;
    const { oBanned, oRead, oAccessible, oWrite, oUpload, oModerator, oAdmin, oVisibleMod, oShadowBanned, oTrusted, oMutedUntil, oMuteReason, ...room } = row;
    const override: UserPermissionOverride | null =
      oBanned === null || userId === null
        ? null
        : {
            roomId: room.id,
            userId,
            banned: oBanned,
            read: oRead,
            accessible: oAccessible,
            write: oWrite,
            upload: oUpload,
            moderator: oModerator ?? false,
            admin: oAdmin ?? false,
            visibleMod: oVisibleMod ?? true,
            shadowBanned: oShadowBanned ?? false,
            trusted: oTrusted ?? false,
            mutedUntil: oMutedUntil,
            muteReason: oMuteReason,
          };
    return { room, override };
  }

  roomById(id: number, db: Db = this.prisma): Promise<Room | null> {
    return db.room.findUnique({ where: { id } });
  }

  /** Rooms by token, case-insensitively (tokens are citext, protocol §5). */
  roomsByTokens(tokens: string[], db: Db = this.prisma): Promise<Room[]> {
    if (tokens.length === 0) return Promise.resolve([]);
    return db.$queryRaw<Room[]>`SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.token = ANY(${tokens}::citext[])`;
  }

  /** Every room, ordered by token case-insensitively. */
  allRooms(db: Db = this.prisma): Promise<Room[]> {
    return db.$queryRaw<Room[]>`SELECT ${ROOM_COLUMNS} FROM rooms r ORDER BY lower(r.token::text), r.id`;
  }

  /** A new room with the protocol §8 defaults (everyone may read, access, write, upload). */
  createRoom(token: string, name: string): Promise<Room> {
    return this.prisma.room.create({ data: { token, name } });
  }

  /**
   * Deletes the room; messages, reactions, pins, overrides and activity cascade, and its files lose
   * their room (protocol §8 SET NULL), which makes them due for the files sweep at once (§9.3).
   */
  async deleteRoom(roomId: number, tx: Tx): Promise<void> {
    await tx.room.delete({ where: { id: roomId } });
  }

  /** Message, file and activity figures of one room (protocol §10.1 `--list-rooms`); `activeSince(days)`: the least last_active counted. */
  async roomStats(roomId: number, now: number, activeSince: (days: number) => number): Promise<RoomStats> {
    const [messages] = await this.prisma.$queryRaw<Array<{ n: bigint; bytes: bigint | null; deleted: bigint }>>`
      SELECT count(*) FILTER (WHERE data IS NOT NULL) AS n, sum(coalesce(data_size, length(data))) AS bytes,
             count(*) FILTER (WHERE data IS NULL) AS deleted
      FROM messages WHERE room = ${roomId}`;
    const [files] = await this.prisma.$queryRaw<Array<{ n: bigint; bytes: bigint | null }>>`
      SELECT count(*) AS n, sum(size) AS bytes FROM files WHERE room = ${roomId} AND (expiry IS NULL OR expiry > ${now}::double precision)`;
    const [active] = await this.prisma.$queryRaw<Array<{ d1: bigint; d7: bigint; d14: bigint; d30: bigint }>>`
      SELECT count(*) FILTER (WHERE last_active >= ${activeSince(1)}::double precision) AS d1,
             count(*) FILTER (WHERE last_active >= ${activeSince(7)}::double precision) AS d7,
             count(*) FILTER (WHERE last_active >= ${activeSince(14)}::double precision) AS d14,
             count(*) FILTER (WHERE last_active >= ${activeSince(30)}::double precision) AS d30
      FROM room_users WHERE room = ${roomId}`;
    return {
      messages: Number(messages.n),
      messageBytes: Number(messages.bytes ?? 0),
      deleted: Number(messages.deleted),
      files: Number(files.n),
      fileBytes: Number(files.bytes ?? 0),
      active: { d1: Number(active.d1), d7: Number(active.d7), d14: Number(active.d14), d30: Number(active.d30) },
    };
  }

  /** Every room with the user's override (null when none), ordered by token case-insensitively. */
  async allRoomsWithOverrides(userId: number | null): Promise<Array<{ room: Room; override: UserPermissionOverride | null }>> {
    const [rooms, overrides] = await Promise.all([
      this.prisma.$queryRaw<Room[]>`SELECT ${ROOM_COLUMNS} FROM rooms r ORDER BY lower(r.token::text), r.id`,
      userId === null ? Promise.resolve([]) : this.prisma.userPermissionOverride.findMany({ where: { userId } }),
    ]);
    const byRoom = new Map(overrides.map((o) => [o.roomId, o]));
    return rooms.map((room) => ({ room, override: byRoom.get(room.id) ?? null }));
  }

  /** Room and global moderators of a room, system user excluded (protocol §6.2). */
  async moderators(roomId: number): Promise<{ room: ModeratorRow[]; global: ModeratorRow[] }> {
    const [room, global] = await Promise.all([
      this.prisma.$queryRaw<ModeratorRow[]>`
        SELECT u.session_id AS "sessionId", o.admin, o.visible_mod AS visible
        FROM user_permission_overrides o JOIN users u ON u.id = o."user"
        WHERE o.room = ${roomId} AND (o.moderator OR o.admin) AND u.id <> ${SYSTEM_USER_ID}`,
      this.prisma.$queryRaw<ModeratorRow[]>`
        SELECT session_id AS "sessionId", admin, visible_mod AS visible FROM users
        WHERE (moderator OR admin) AND id <> ${SYSTEM_USER_ID}`,
    ]);
    return { room, global };
  }

  /** The room's pins of messages the viewer may see (src/rooms/visibility.ts). */
  pinned(roomId: number, viewer: Viewer): Promise<PinRow[]> {
    return this.prisma.$queryRaw<PinRow[]>`
      SELECT p.message AS id, p.pinned_at AS "pinnedAt", u.session_id AS "pinnedBy"
      FROM pinned_messages p JOIN users u ON u.id = p.pinned_by JOIN messages m ON m.id = p.message
      WHERE p.room = ${roomId} AND ${messageVisibleSql(viewer)} ORDER BY p.pinned_at, p.message`;
  }

  /** One more info_updates in each listed room, or in every room (null). */
  async bumpInfoUpdatesOf(roomIds: number[] | null, db: Db): Promise<void> {
    if (roomIds === null) await db.$executeRaw`UPDATE rooms SET info_updates = info_updates + 1`;
    else if (roomIds.length) await db.$executeRaw`UPDATE rooms SET info_updates = info_updates + 1 WHERE id = ANY(${roomIds}::int[])`;
  }

  /** Rooms whose image is one of the files lose it, with one more info_updates each (protocol §7.3). */
  async clearImages(fileIds: number[], db: Tx): Promise<void> {
    await db.$executeRaw`UPDATE rooms SET image = NULL, info_updates = info_updates + 1 WHERE image = ANY(${fileIds}::int[])`;
  }

  async bumpInfoUpdates(roomId: number, by: number, db: Db): Promise<number> {
    const rows = await db.$queryRaw<Array<{ infoUpdates: number }>>`
      UPDATE rooms SET info_updates = info_updates + ${by} WHERE id = ${roomId} RETURNING info_updates AS "infoUpdates"`;
    return rows[0].infoUpdates;
  }

  async updateRoomFields(roomId: number, fields: Prisma.RoomUpdateInput, db: Tx): Promise<Room> {
    return db.room.update({ where: { id: roomId }, data: fields });
  }

  /** Locks and returns the room row (for read-modify-write of metadata). */
  async lockRoom(roomId: number, db: Tx): Promise<Room> {
    const rows = await db.$queryRaw<Room[]>`SELECT ${ROOM_COLUMNS} FROM rooms r WHERE r.id = ${roomId} FOR UPDATE`;
    return rows[0];
  }

  // ---- activity (protocol §9.4 step 4)

  /**
   * first_seen is written with the row only (new users, issue 14 item 2). True when the row is new
   * (a first request there). Joins the other rows of its event-loop turn in one statement.
   */
  recordActivity(roomId: number, userId: number, at: number): Promise<boolean> {
    return this.activity.submit({ roomId, userId, at });
  }

  /**
   * One upsert for many (room, user) rows, in key order (concurrent statements lock rows in the same
   * order); a row already at `at` or later is left as it is. Rows of a room or user deleted meanwhile are skipped.
   * A key asked twice (a granule's turn) is written once, at the later time (one statement cannot update a row twice).
   */
  private async writeActivity(asked: ActivityRow[]): Promise<boolean[]> {
    const latest = new Map<string, ActivityRow>();
    for (const r of asked) {
      const seen = latest.get(keyOf(r));
      if (!seen || r.at > seen.at) latest.set(keyOf(r), r);
    }
    const rows = [...latest.values()];
    const written = await queryPrepared<{ room: number; user: number; inserted: boolean }>(
      this.prisma.pool,
      Prisma.sql`
      INSERT INTO room_users AS ru (room, "user", last_active, first_seen)
      SELECT v.room, v.u, v.at, v.at FROM unnest(${rows.map((r) => r.roomId)}::int[], ${rows.map((r) => r.userId)}::int[], ${rows.map((r) => r.at)}::float8[]) AS v(room, u, at)
      WHERE EXISTS (SELECT 1 FROM rooms r WHERE r.id = v.room) AND EXISTS (SELECT 1 FROM users x WHERE x.id = v.u)
      ORDER BY v.room, v.u
      ON CONFLICT (room, "user") DO UPDATE SET last_active = EXCLUDED.last_active
      WHERE ru.last_active < EXCLUDED.last_active
      RETURNING ru.room, ru."user", (ru.xmax = 0) AS inserted`,
    );
    const inserted = new Set(written.filter((w) => w.inserted).map((w) => keyOf({ roomId: w.room, userId: w.user })));
    // A new row is one first request: only the first asker of its key is told (as separate statements told one).
    return asked.map((r) => inserted.delete(keyOf(r)));
  }

  async refreshActiveUsers(activeSince: number, pruneBefore: number): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM room_users WHERE last_active < ${pruneBefore}`;
    await this.prisma.$executeRaw`
      UPDATE rooms r SET active_users = c.n
      FROM (SELECT r2.id, (SELECT count(*) FROM room_users ru WHERE ru.room = r2.id AND ru.last_active >= ${activeSince})::int AS n FROM rooms r2) c
      WHERE c.id = r.id AND r.active_users IS DISTINCT FROM c.n`;
  }

  async pruneHistory(before: number): Promise<number> {
    return this.prisma.$executeRaw`DELETE FROM message_history WHERE replaced < ${before}`;
  }

  /**
   * Recounts the posts of every hour from `fromHour` (unix hour numbers) into room_hourly_posts and
   * drops counts older than `dropBeforeHour`. Per room through the (room, posted) index: the messages
   * table is never scanned whole. Every message row counts, deleted or not: it was posted.
   */
  async rollUpHourlyPosts(fromHour: number, dropBeforeHour: number): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO room_hourly_posts (room, hour, posts)
      SELECT r.id, c.hour, c.posts FROM rooms r CROSS JOIN LATERAL (
        SELECT floor(m.posted / 3600)::int AS hour, count(*)::int AS posts FROM messages m
        WHERE m.room = r.id AND m.posted >= ${fromHour * 3600}::double precision GROUP BY 1) c
      ON CONFLICT (room, hour) DO UPDATE SET posts = EXCLUDED.posts WHERE room_hourly_posts.posts IS DISTINCT FROM EXCLUDED.posts`;
    await this.prisma.$executeRaw`DELETE FROM room_hourly_posts WHERE hour < ${dropBeforeHour}`;
  }

  /** The latest hour counted, or null before the first roll-up. */
  async lastCountedHour(): Promise<number | null> {
    const [row] = await this.prisma.$queryRaw<Array<{ hour: number | null }>>`SELECT max(hour) AS hour FROM room_hourly_posts`;
    return row.hour;
  }

  /** Posts per hour from `fromHour` on, summed over rooms (or of one room); hours without posts are absent. */
  async hourlyPosts(fromHour: number, roomId?: number): Promise<Array<{ hour: number; posts: number }>> {
    const rows = await this.prisma.roomHourlyPosts.groupBy({
      by: ['hour'],
      where: { hour: { gte: fromHour }, ...(roomId === undefined ? {} : { roomId }) },
      _sum: { posts: true },
      orderBy: { hour: 'asc' },
    });
    return rows.map((r) => ({ hour: r.hour, posts: r._sum.posts ?? 0 }));
  }

  // ---- message reads (protocol §6.3, §7.2)

  /**
   * protocol §7.2 as one prepared statement, so its parts are of one snapshot with no transaction
   * around them: the rows after `after`, the reactions of those that carry data (reactionRowsSql;
   * a row the caller turns into a tombstone drops them), and with `personal` the users to whom the
   * range may show otherwise than to the shared viewer (visibility.ts personalUsersSql), else [].
   * The personal users come in a row of their own, so an empty range still answers them.
   */
  async since(roomId: number, after: number, withReactions: boolean, limit: number, reactors: number, viewer: Viewer, personal: boolean): Promise<SinceRead> {
    const dataChanged = withReactions ? Prisma.empty : Prisma.sql`AND m.seqno_data > ${after}`;
    const personalUsers = personal ? Prisma.sql`array(${personalUsersSql(roomId, after)})` : Prisma.sql`'{}'::int[]`;
    const found = await queryPrepared<SinceRow | { personal: number[]; id: null }>(
      this.prisma.pool,
      Prisma.sql`WITH s AS (${MESSAGE_SELECT}
        WHERE m.room = ${roomId} AND m.seqno > ${after} ${dataChanged}
          AND NOT m.filtered AND (m.data IS NOT NULL OR m.seqno_creation <= ${after}) AND ${sinceVisibleSql(viewer, after)}
        ORDER BY m.seqno LIMIT ${limit})
      SELECT p.personal, s.*, CASE WHEN s.data IS NOT NULL THEN (
          SELECT json_agg(json_build_object('message', x.message, 'reactionId', x."reactionId", 'reaction', x.reaction, 'count', x.count,
            'you', x.you, 'sessionId', x."sessionId", 'at', x.at) ORDER BY x."reactionId", x.rn)
          FROM (${reactionRowsSql(Prisma.sql`r.message = s.id`, viewer)}) x WHERE x.rn <= ${Math.max(reactors, 1)}) END AS reactions
      FROM (SELECT ${personalUsers} AS personal) p LEFT JOIN s ON TRUE
      ORDER BY s.seqno`,
    );
    const rows: MessageRow[] = [];
    const reactions: ReactionRow[] = [];
    for (const row of found) {
      if (row.id === null) continue; // the personal users' row of an empty range
      rows.push(row);
      if (row.reactions) reactions.push(...row.reactions);
    }
    return { rows, reactions, personal: found[0].personal };
  }

  /** Newest first, optionally only ids below `beforeId`; no tombstones. */
  recent(roomId: number, beforeId: number | null, limit: number, viewer: Viewer): Promise<MessageRow[]> {
    const before = beforeId === null ? Prisma.empty : Prisma.sql`AND m.id < ${beforeId}`;
    return this.prisma.$queryRaw<MessageRow[]>`${MESSAGE_SELECT}
      WHERE m.room = ${roomId} ${before} AND m.data IS NOT NULL AND NOT m.filtered AND ${messageVisibleSql(viewer)}
      ORDER BY m.id DESC LIMIT ${limit}`;
  }

  async visibleMessage(roomId: number, id: number, viewer: Viewer): Promise<MessageRow | null> {
    const rows = await this.prisma.$queryRaw<MessageRow[]>`${MESSAGE_SELECT}
      WHERE m.room = ${roomId} AND m.id = ${id} AND m.data IS NOT NULL AND NOT m.filtered AND ${messageVisibleSql(viewer)}`;
    return rows[0] ?? null;
  }

  /** Any message of the room, deleted or not, whoever may see it. */
  async message(roomId: number, id: number, db: Db = this.prisma, lock = false): Promise<MessageRow | null> {
    const rows = await db.$queryRaw<MessageRow[]>`${MESSAGE_SELECT}
      WHERE m.room = ${roomId} AND m.id = ${id} ${lock ? Prisma.sql`FOR UPDATE OF m` : Prisma.empty}`;
    return rows[0] ?? null;
  }

  /** A regular message (not deleted, filtered or a whisper); with a viewer, one they may see too. */
  async regularMessageExists(roomId: number, id: number, db: Db = this.prisma, viewer?: Viewer): Promise<boolean> {
    const rows = await db.$queryRaw<unknown[]>`SELECT 1 FROM messages m WHERE ${regularMessageSql(roomId, id, viewer)}`;
    return rows.length > 0;
  }

  /**
   * Changes whether a message is hidden, with the new seqno as its data's seqno (clients receive
   * the row again, whole or as a deletion). `publish`: it was never public (held, shadow), so it is
   * new to clients (`seqno_creation`); a restored message keeps its creation.
   */
  async setHidden(id: number, hidden: Hidden | null, publish: boolean, seqno: number, db: Tx): Promise<void> {
    const creation = publish ? Prisma.sql`, seqno_creation = ${seqno}` : Prisma.empty;
    await db.$executeRaw`UPDATE messages SET hidden = ${hidden}, seqno = ${seqno}, seqno_data = ${seqno} ${creation} WHERE id = ${id}`;
  }

  /** Whether the message is pinned (its visibility changes the room's pin list, protocol §7.3). */
  async isPinned(id: number, db: Db): Promise<boolean> {
    return (await db.$queryRaw<unknown[]>`SELECT 1 FROM pinned_messages WHERE message = ${id}`).length > 0;
  }

  /**
   * The reactions of some messages with their first `reactors` reactors (at least one row per
   * reaction, so counts survive `reactors=0`), count and whether the viewer reacted.
   */
  reactions(messageIds: number[], reactors: number, viewer: Viewer): Promise<ReactionRow[]> {
    return queryPrepared<ReactionRow>(
      this.prisma.pool,
      Prisma.sql`
      SELECT message, "reactionId", reaction, count, you, "sessionId", at FROM (${reactionRowsSql(Prisma.sql`r.message = ANY(${messageIds}::int[])`, viewer)}) x
      WHERE rn <= ${Math.max(reactors, 1)}
      ORDER BY message, "reactionId", rn`,
    );
  }

  reactors(messageId: number, reaction: string, limit: number | null, viewer: Viewer): Promise<Array<{ sessionId: string; at: number }>> {
    return this.prisma.$queryRaw<Array<{ sessionId: string; at: number }>>`
      SELECT u.session_id AS "sessionId", ur.at FROM reactions r
        JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur."user"
      WHERE r.message = ${messageId} AND r.reaction = ${reaction} AND ${reactionVisibleSql(viewer)}
      ORDER BY ur.at, ur."user" ${limit === null ? Prisma.empty : Prisma.sql`LIMIT ${limit}`}`;
  }

  // ---- message writes (inside a transaction, or one statement that is its own; protocol §7.1)

  /** Advances the room's message_sequence by `by`, returning the new value (locks the room row). */
  async advanceSequence(roomId: number, by: number, db: Tx): Promise<number> {
    const rows = await db.$queryRaw<Array<{ seq: number }>>`
      UPDATE rooms SET message_sequence = message_sequence + ${by} WHERE id = ${roomId} RETURNING message_sequence AS seq`;
    return rows[0].seq;
  }

  /** A message by this author in this room with this signature, posted at or after `since` (no lock). */
  async findBySignature(roomId: number, userId: number, signature: Uint8Array, since: number): Promise<number | null> {
    const rows = await this.prisma.$queryRaw<Array<{ id: number }>>`
      SELECT id FROM messages WHERE room = ${roomId} AND "user" = ${userId} AND posted >= ${since}
        AND signature = ${Buffer.from(signature)} ORDER BY id LIMIT 1`;
    return rows[0]?.id ?? null;
  }

  /**
   * A new post, stored in a group commit (issue 18 item 3): posts waiting for the database go
   * together in one statement, one transaction (postMessages). Answered once that has committed.
   */
  postMessage(p: NewPostRow): Promise<PostOutcome> {
    return this.posts.submit(p);
  }

  /**
   * Posts in one statement, its own transaction: scs_post_messages (migration
   * 20261203090000_post_messages_function) runs scs_post_message (20261129100000) for each, in
   * room-id order: it locks the room, answers a repeat within the window with the earlier
   * message, takes the seqno and inserts; the files are attached in the same statement.
   * One outcome per post, in the posts' order.
   */
  private async postMessages(posts: NewPostRow[]): Promise<PostOutcome[]> {
    const col = <T>(f: (p: NewPostRow) => T) => posts.map(f);
    const post = Prisma.sql`SELECT ord, outcome, id, seqno FROM scs_post_messages(${col((p) => p.roomId)}::integer[], ${col((p) => p.userId)}::integer[],
      ${col((p) => p.signedAs)}::text[], ${col((p) => p.posted)}::double precision[], ${col((p) => Buffer.from(p.data))}::bytea[],
      ${col((p) => Buffer.from(p.signature))}::bytea[], ${col((p) => p.filtered)}::boolean[], ${col((p) => p.whisperTo)}::text[],
      ${col((p) => p.whisperMods)}::boolean[], ${col((p) => p.repeatSince)}::double precision[], ${col((p) => p.hidden)}::text[])`;
    const files = posts.flatMap((p, i) => (p.files.ids.length === 0 ? [] : [{ ord: i + 1, roomId: p.roomId, userId: p.userId, files: p.files }]));
    // A prepared statement: posting is hot (issue 7) and the statement text is one of two.
    const rows = await queryPrepared<PostOutcome & { ord: number }>(
      this.prisma.pool,
      files.length === 0
        ? post
        : Prisma.sql`WITH posted AS (${post}),
            attached AS (${attachToPostedSql(files)})
            SELECT ord, outcome, id, seqno FROM posted`,
    );
    const outcomes = new Array<PostOutcome>(posts.length);
    for (const { ord, ...outcome } of rows) outcomes[ord - 1] = outcome;
    return outcomes;
  }

  /**
   * Keeps the current version in message_history, then replaces it (protocol §6.3 edit, §8). `signedAs`:
   * the id an edit was signed as (the message then shows it); null (a deletion) keeps it.
   */
  async replaceData(id: number, data: Uint8Array | null, signature: Uint8Array | null, signedAs: string | null, seqno: number, at: number, db: Tx): Promise<void> {
    await db.$executeRaw`
      INSERT INTO message_history (message, replaced, data, data_size, signature)
      SELECT id, ${at}, data, data_size, signature FROM messages WHERE id = ${id}`;
    await db.$executeRaw`
      UPDATE messages SET data = ${data === null ? null : Buffer.from(data)}, data_size = ${data?.length ?? null},
        signature = ${signature === null ? null : Buffer.from(signature)}, edited = ${at}, seqno_data = ${seqno}, seqno = ${seqno},
        signed_as = CASE WHEN ${signedAs}::text IS NULL THEN signed_as
          ELSE NULLIF(${signedAs}::text, (SELECT u.session_id FROM users u WHERE u.id = messages."user")) END
      WHERE id = ${id}`;
  }

  async setReactionsSeqno(messageId: number, seqno: number, db: Tx): Promise<void> {
    await db.$executeRaw`UPDATE messages SET ${reactionsSeqnoSql(seqno)} WHERE id = ${messageId}`;
  }

  /** Ids of the user's not yet deleted messages in the room, oldest first. */
  async liveMessageIdsOf(roomId: number, userId: number, db: Db): Promise<number[]> {
    const rows = await db.$queryRaw<Array<{ id: number }>>`
      SELECT id FROM messages WHERE room = ${roomId} AND "user" = ${userId} AND data IS NOT NULL ORDER BY id`;
    return rows.map((r) => r.id);
  }

  // ---- reactions (protocol §6.4)

  /**
   * Adds the user's reaction to a regular message the viewer may see, in one statement inside the
   * caller's transaction, which has locked the room row (advanceSequence): the message and its
   * distinct reactions are read after the lock, so concurrent adds cannot both take the last of
   * `maxDistinct` places (0 = no cap). When it adds, the message takes `seqno` as its reactions'
   * seqno. `hidden`: counted only for the reactor and moderators (src/rooms/visibility.ts).
   * `messageSeqno` is null when there is no such message for the viewer; `allowed` false when the
   * reaction is new to the message and it has no place left; `added` false when the user had it.
   */
  async addReactionIn(
    add: { roomId: number; messageId: number; reaction: string; userId: number; at: number; hidden: boolean; seqno: number; maxDistinct: number; viewer: Viewer },
    db: Tx,
  ): Promise<{ messageSeqno: number | null; allowed: boolean; added: boolean }> {
    const { roomId, messageId, reaction } = add;
    const [row] = await db.$queryRaw<Array<{ messageSeqno: number | null; allowed: boolean; added: boolean }>>`
      WITH msg AS (
        SELECT m.seqno FROM messages m WHERE ${regularMessageSql(roomId, messageId, add.viewer)}
      ), places AS (
        SELECT count(*)::int AS taken, coalesce(bool_or(r.reaction = ${reaction}), false) AS present FROM reactions r WHERE r.message = ${messageId}
      ), allowed AS (
        SELECT 1 FROM msg, places WHERE places.present OR ${add.maxDistinct}::int = 0 OR places.taken < ${add.maxDistinct}::int
      ), new_reaction AS (
        INSERT INTO reactions (message, reaction) SELECT ${messageId}, ${reaction} FROM allowed
        ON CONFLICT (message, reaction) DO NOTHING RETURNING id
      ), added AS (
        INSERT INTO user_reactions (reaction, "user", at, hidden)
        SELECT coalesce((SELECT id FROM new_reaction), (SELECT id FROM reactions WHERE message = ${messageId} AND reaction = ${reaction})),
          ${add.userId}, ${add.at}, ${add.hidden} FROM allowed
        ON CONFLICT (reaction, "user") DO NOTHING RETURNING 1
      ), stamped AS (
        UPDATE messages SET ${reactionsSeqnoSql(add.seqno)} WHERE id = ${messageId} AND EXISTS (SELECT 1 FROM added)
      )
      SELECT (SELECT seqno FROM msg) AS "messageSeqno", EXISTS (SELECT 1 FROM allowed) AS allowed,
        EXISTS (SELECT 1 FROM added) AS added`;
    return row;
  }

  /**
   * Removes the user's reaction from a regular message the viewer may see (and the reaction row
   * once no one else has it), in one statement inside the caller's transaction after
   * advanceSequence has locked the room row; when it removes, the message takes `seqno` as its
   * reactions' seqno. `messageSeqno` is null when there is no such message for the viewer;
   * `removed` false when the user did not have the reaction.
   */
  async removeReactionIn(
    remove: { roomId: number; messageId: number; reaction: string; userId: number; seqno: number; viewer: Viewer },
    db: Tx,
  ): Promise<{ messageSeqno: number | null; removed: boolean }> {
    const { messageId, userId } = remove;
    const [row] = await db.$queryRaw<Array<{ messageSeqno: number | null; removed: boolean }>>`
      WITH msg AS (
        SELECT m.seqno FROM messages m WHERE ${regularMessageSql(remove.roomId, messageId, remove.viewer)}
      ), ${removingUserReactionsSql(Prisma.sql`r.message = ${messageId} AND r.reaction = ${remove.reaction} AND ur."user" = ${userId} AND EXISTS (SELECT 1 FROM msg)`)},
      stamped AS (
        UPDATE messages SET ${reactionsSeqnoSql(remove.seqno)} WHERE id = ${messageId} AND EXISTS (SELECT 1 FROM removed)
      )
      SELECT (SELECT seqno FROM msg) AS "messageSeqno", EXISTS (SELECT 1 FROM removed) AS removed`;
    return row;
  }

  /**
   * Removes every user's reactions to a message (one reaction or all) and the reaction rows then
   * without users (protocol §8), in one statement. Returns how many user-reactions went.
   */
  async removeReactions(messageId: number, filter: { reaction?: string }, db: Tx): Promise<number> {
    const reaction = filter.reaction === undefined ? Prisma.empty : Prisma.sql`AND r.reaction = ${filter.reaction}`;
    const [row] = await db.$queryRaw<Array<{ n: number }>>`
      WITH ${removingUserReactionsSql(Prisma.sql`r.message = ${messageId} ${reaction}`)}
      SELECT count(*)::int AS n FROM removed`;
    return row.n;
  }

  async countReactions(messageId: number, reaction: string | undefined, db: Db): Promise<number> {
    const filter = reaction === undefined ? Prisma.empty : Prisma.sql`AND r.reaction = ${reaction}`;
    const rows = await db.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction WHERE r.message = ${messageId} ${filter}`;
    return rows[0].n;
  }

  // ---- pins (protocol §6.5)

  async pin(roomId: number, messageId: number, userId: number, at: number, db: Tx): Promise<void> {
    await db.$executeRaw`
      INSERT INTO pinned_messages (room, message, pinned_by, pinned_at) VALUES (${roomId}, ${messageId}, ${userId}, ${at})
      ON CONFLICT (room, message) DO UPDATE SET pinned_by = EXCLUDED.pinned_by, pinned_at = EXCLUDED.pinned_at`;
  }

  /** Removes pins (one message, or all of the room); returns the unpinned message ids. */
  async unpin(roomId: number, messageId: number | null, db: Tx): Promise<number[]> {
    const only = messageId === null ? Prisma.empty : Prisma.sql`AND message = ${messageId}`;
    const rows = await db.$queryRaw<Array<{ message: number }>>`DELETE FROM pinned_messages WHERE room = ${roomId} ${only} RETURNING message`;
    return rows.map((r) => r.message);
  }

  // ---- users

  /** The user of a session id or of its negated blinded twin. */
  async userIdBySessionId(sessionId: string): Promise<number | null> {
    const rows = await this.prisma.$queryRaw<Array<{ id: number }>>`SELECT id FROM users WHERE canonical_id = ${canonicalSessionId(sessionId)}`;
    return rows[0]?.id ?? null;
  }

  async userFlags(userId: number): Promise<{ moderator: boolean; admin: boolean } | null> {
    return this.prisma.user.findUnique({ where: { id: userId }, select: { moderator: true, admin: true } });
  }

  /** The override row; outside a transaction it is read with the other look-ups of its event-loop turn, in one statement. */
  async override(roomId: number, userId: number, db?: Db): Promise<UserPermissionOverride | null> {
    if (db) return db.userPermissionOverride.findUnique({ where: { roomId_userId: { roomId, userId } } });
    return this.overrides.submit({ roomId, userId });
  }

  private async readOverrides(keys: RoomUserKey[]): Promise<Array<UserPermissionOverride | null>> {
    const rows = await queryPrepared<UserPermissionOverride>(
      this.prisma.pool,
      Prisma.sql`
      SELECT ${OVERRIDE_SELECT}
      FROM user_permission_overrides o
      JOIN unnest(${keys.map((k) => k.roomId)}::int[], ${keys.map((k) => k.userId)}::int[]) AS v(room, u) ON o.room = v.room AND o."user" = v.u`,
    );
    const found = new Map(rows.map((o) => [keyOf(o), o]));
    return keys.map((k) => found.get(keyOf(k)) ?? null);
  }

  overridesOfUser(userId: number, roomIds: number[], db: Db = this.prisma): Promise<UserPermissionOverride[]> {
    return db.userPermissionOverride.findMany({ where: { userId, roomId: { in: roomIds } } });
  }

  // ---- import from another server (rows keep their source's ids and seqnos; a re-run changes nothing)

  /** Our id of the room with this token; an existing room keeps its state (a re-run). */
  async importRoom(r: ImportedRoom): Promise<{ id: number; inserted: boolean }> {
    // xmax = 0 only on a row this statement inserted (not on the conflict's updated one).
    const rows = await this.prisma.$queryRaw<Array<{ id: number; inserted: boolean }>>`
      INSERT INTO rooms (token, name, description, created, message_sequence, info_updates, active_users, read, accessible, write, upload)
      VALUES (${r.token}, ${r.name}, ${r.description}, ${r.created}, ${r.messageSequence}, ${r.infoUpdates}, ${r.activeUsers}, ${r.read}, ${r.accessible}, ${r.write}, ${r.upload})
      ON CONFLICT (token) DO UPDATE SET message_sequence = GREATEST(rooms.message_sequence, EXCLUDED.message_sequence)
      RETURNING id, (xmax = 0) AS inserted`;
    return rows[0];
  }

  async importMessages(messages: ImportedMessage[]): Promise<number> {
    let inserted = 0;
    await this.prisma.$transaction(async (tx) => {
      for (const m of messages) {
        inserted += await tx.$executeRaw`
          INSERT INTO messages (id, room, "user", posted, edited, seqno, seqno_data, seqno_reactions, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods)
          VALUES (${m.id}, ${m.roomId}, ${m.userId}, ${m.posted}, ${m.edited}, ${m.seqno}, ${m.seqnoData}, ${m.seqnoReactions}, ${m.seqnoCreation},
                  ${m.data}, ${m.data?.length ?? null}, ${m.signature}, ${m.filtered}, ${m.whisperToId}, ${m.whisperMods})
          ON CONFLICT (id) DO NOTHING`;
      }
    });
    return inserted;
  }

  async messageExists(id: number): Promise<boolean> {
    return (await this.prisma.message.count({ where: { id } })) > 0;
  }

  async importHistory(rows: Array<{ messageId: number; replaced: number; data: Buffer | null; signature: Buffer | null }>): Promise<number> {
    let inserted = 0;
    await this.prisma.$transaction(async (tx) => {
      for (const h of rows) {
        inserted += await tx.$executeRaw`
          INSERT INTO message_history (message, replaced, data, data_size, signature)
          SELECT ${h.messageId}, ${h.replaced}, ${h.data}, ${h.data?.length ?? null}, ${h.signature}
          WHERE NOT EXISTS (SELECT 1 FROM message_history WHERE message = ${h.messageId} AND replaced = ${h.replaced})`;
      }
    });
    return inserted;
  }

  /** Our reaction id for (message, reaction), created when absent. */
  async importReaction(messageId: number, reaction: string): Promise<number> {
    const rows = await this.prisma.$queryRaw<Array<{ id: number }>>`
      INSERT INTO reactions (message, reaction) VALUES (${messageId}, ${reaction})
      ON CONFLICT (message, reaction) DO UPDATE SET reaction = EXCLUDED.reaction
      RETURNING id`;
    return rows[0].id;
  }

  async importUserReaction(reactionId: number, userId: number, at: number): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO user_reactions (reaction, "user", at) VALUES (${reactionId}, ${userId}, ${at}) ON CONFLICT DO NOTHING`;
  }

  async importPin(roomId: number, messageId: number, pinnedBy: number, pinnedAt: number): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO pinned_messages (room, message, pinned_by, pinned_at) VALUES (${roomId}, ${messageId}, ${pinnedBy}, ${pinnedAt}) ON CONFLICT DO NOTHING`;
  }

  async importRoomActivity(roomId: number, userId: number, lastActive: number): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO room_users (room, "user", last_active, first_seen) VALUES (${roomId}, ${userId}, ${lastActive}, ${lastActive}) ON CONFLICT DO NOTHING`;
  }

  /** The source's room image, kept as it was there (its expiry was imported with the file). */
  async importImage(roomId: number, fileId: number): Promise<void> {
    await this.prisma.$executeRaw`UPDATE rooms SET image = ${fileId} WHERE id = ${roomId} AND image IS DISTINCT FROM ${fileId}`;
  }
}
