import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { Room, User, UserPermissionOverride } from '../generated/prisma/client';

/** What makes a user new in a room (issue 14 item 2). */
export interface NewUserFacts {
  /** Accepted posts (visible to everyone: not deleted, filtered, held, hidden or a whisper), counted up to the bound asked for. */
  accepted: number;
  /** The earlier of the room_users row's first_seen and the user's first post there; null = never seen. */
  firstSeen: number | null;
}

/** I/O of standing: the facts above and, for callers without them, the room and the user's flags. */
@Injectable()
export class StandingRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * One query on the (room, user, posted) index of messages and the room_users key. The count stops
   * at `upTo` accepted posts, so a long-standing poster costs `upTo` index rows, not their history.
   */
  async newUserFacts(roomId: number, userId: number, upTo: number): Promise<NewUserFacts> {
    const rows = await this.prisma.$queryRaw<NewUserFacts[]>`
      SELECT
        (SELECT count(*) FROM (
           SELECT 1 FROM messages m
           WHERE m.room = ${roomId} AND m."user" = ${userId} AND m.data IS NOT NULL AND NOT m.filtered
             AND m.hidden IS NULL AND m.whisper IS NULL AND NOT m.whisper_mods
           LIMIT ${upTo}) a)::int AS accepted,
        LEAST(
          (SELECT ru.first_seen FROM room_users ru WHERE ru.room = ${roomId} AND ru."user" = ${userId}),
          (SELECT min(m.posted) FROM messages m WHERE m.room = ${roomId} AND m."user" = ${userId})) AS "firstSeen"`;
    return rows[0];
  }

  /** The room, the user's global flags and their override there (read concurrently); null when either row is missing. */
  async roomAndUser(roomId: number, userId: number): Promise<{ room: Room; user: User; override: UserPermissionOverride | null } | null> {
    const [room, user, override] = await Promise.all([
      this.prisma.room.findUnique({ where: { id: roomId } }),
      this.prisma.user.findUnique({ where: { id: userId } }),
      this.prisma.userPermissionOverride.findUnique({ where: { roomId_userId: { roomId, userId } } }),
    ]);
    return room && user ? { room, user, override } : null;
  }
}
