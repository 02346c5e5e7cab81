import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { Prisma } from '../generated/prisma/client';
import type { Db, Tx } from './rooms.repository';

/** A held post waiting for a moderator (CLI `held list`, the console). */
export interface HeldRow {
  id: number;
  room: string;
  sessionId: string;
  posted: number;
  data: Uint8Array;
}

/** A message with open reports (CLI `reports list`). */
export interface ReportedRow {
  id: number;
  room: string;
  sessionId: string;
  posted: number;
  data: Uint8Array;
  hidden: string | null;
  reports: number;
  counted: number;
  reporters: string[];
  first: number;
  last: number;
}

export type ReportOutcome = 'upheld' | 'dismissed';

/** PostgreSQL I/O of held posts and reports (issue 14; src/rooms/review.service.ts holds the rules). */
@Injectable()
export class ReviewRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Held posts not yet decided, oldest first, of one room or of all. */
  held(roomId: number | null): Promise<HeldRow[]> {
    const room = roomId === null ? Prisma.empty : Prisma.sql`AND m.room = ${roomId}`;
    return this.prisma.$queryRaw<HeldRow[]>`
      SELECT m.id, r.token::text AS room, coalesce(m.signed_as, u.session_id) AS "sessionId", m.posted, m.data
      FROM messages m JOIN rooms r ON r.id = m.room JOIN users u ON u.id = m."user"
      WHERE m.hidden = 'held' AND m.data IS NOT NULL ${room} ORDER BY m.id`;
  }

  /** Messages (not deleted) with open reports, most counted reports first, of one room or of all. */
  reported(roomId: number | null): Promise<ReportedRow[]> {
    const room = roomId === null ? Prisma.empty : Prisma.sql`AND p.room = ${roomId}`;
    return this.prisma.$queryRaw<ReportedRow[]>`
      SELECT m.id, r.token::text AS room, coalesce(m.signed_as, u.session_id) AS "sessionId", m.posted, m.data, m.hidden,
        count(*)::int AS reports, (count(*) FILTER (WHERE p.counted))::int AS counted,
        array_agg(pu.session_id ORDER BY p.at) AS reporters, min(p.at) AS first, max(p.at) AS last
      FROM reports p JOIN messages m ON m.id = p.message JOIN rooms r ON r.id = p.room
        JOIN users u ON u.id = m."user" JOIN users pu ON pu.id = p."user"
      WHERE p.outcome IS NULL AND m.data IS NOT NULL ${room}
      GROUP BY m.id, r.token, u.session_id ORDER BY counted DESC, m.id`;
  }

  /** The latest other posts (not deleted) by the author of message `id`, in its room, newest first. */
  otherPosts(id: number, limit: number): Promise<Array<{ id: number; posted: number; data: Uint8Array; hidden: string | null }>> {
    return this.prisma.$queryRaw`
      SELECT o.id, o.posted, o.data, o.hidden FROM messages m JOIN messages o ON o.room = m.room AND o."user" = m."user"
      WHERE m.id = ${id} AND o.id <> m.id AND o.data IS NOT NULL ORDER BY o.posted DESC LIMIT ${limit}`;
  }

  async roomOfMessage(id: number): Promise<number | null> {
    const rows = await this.prisma.$queryRaw<Array<{ room: number }>>`SELECT room FROM messages WHERE id = ${id}`;
    return rows[0]?.room ?? null;
  }

  /** One report per user and message: false when the user has reported this message before. */
  async insertReport(roomId: number, messageId: number, userId: number, at: number, counted: boolean, db: Tx): Promise<boolean> {
    const added = await db.$executeRaw`
      INSERT INTO reports (room, message, "user", at, counted) VALUES (${roomId}, ${messageId}, ${userId}, ${at}, ${counted})
      ON CONFLICT (message, "user") DO NOTHING`;
    return added > 0;
  }

  /** The user takes back an open report (removed their report reaction). */
  async withdrawReport(messageId: number, userId: number, db: Tx): Promise<void> {
    await db.$executeRaw`DELETE FROM reports WHERE message = ${messageId} AND "user" = ${userId} AND outcome IS NULL`;
  }

  /** Open reports of a message: all of them, and those that count towards the threshold. */
  async openReports(messageId: number, db: Db): Promise<{ all: number; counted: number }> {
    const [row] = await db.$queryRaw<Array<{ all: number; counted: number }>>`
      SELECT count(*)::int AS all, (count(*) FILTER (WHERE counted))::int AS counted FROM reports WHERE message = ${messageId} AND outcome IS NULL`;
    return row;
  }

  /** The user's reports since `since` (the daily cap) and their dismissed reports (discredit). */
  async reporterRecord(userId: number, since: number, db: Db): Promise<{ recent: number; dismissed: number }> {
    const [row] = await db.$queryRaw<Array<{ recent: number; dismissed: number }>>`
      SELECT (count(*) FILTER (WHERE at >= ${since}))::int AS recent, (count(*) FILTER (WHERE outcome = 'dismissed'))::int AS dismissed
      FROM reports WHERE "user" = ${userId}`;
    return row;
  }

  /** Closes the open reports of a message; returns how many. */
  decideReports(messageId: number, outcome: ReportOutcome, at: number, db: Tx): Promise<number> {
    return db.$executeRaw`UPDATE reports SET outcome = ${outcome}, decided = ${at} WHERE message = ${messageId} AND outcome IS NULL`;
  }

  /** Drops reports made before `before`; returns how many. */
  prune(before: number): Promise<number> {
    return this.prisma.$executeRaw`DELETE FROM reports WHERE at < ${before}`;
  }
}
