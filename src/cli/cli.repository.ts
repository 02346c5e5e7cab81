import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { Room } from '../generated/prisma/client';
import { canonicalSessionId } from '../users/session-id';

export interface RoomStats {
  messages: number;
  messageBytes: number;
  deleted: number;
  files: number;
  fileBytes: number;
  /** Users active within 1, 7, 14 and 30 days (spec §10.1 `--list-rooms`). */
  active: { d1: number; d7: number; d14: number; d30: number };
}

export interface FileRow {
  id: number;
  room: string | null;
  uploader: string | null;
  size: number;
  uploaded: number;
  expiry: number | null;
  filename: string | null;
  message: number | null;
}

export interface FileFilter {
  room?: Room;
  uploaderId?: number;
  /** Uploaded before this unix time. */
  before?: number;
}

/**
 * What the CLI needs that no domain service offers yet: creating and deleting rooms, listing
 * statistics and files, and marking files expired (spec §9.3 "deleted = expiry now"; the files
 * module's job and sweep do the deletion). I/O only; the CLI commands hold the flow.
 */
@Injectable()
export class CliRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A new room with the spec §8 defaults (everyone may read, access, write, upload). */
  createRoom(token: string, name: string): Promise<Room> {
    return this.prisma.room.create({ data: { token, name } });
  }

  /**
   * Deletes the room; messages, reactions, pins, overrides and activity cascade, and its files lose
   * their room (spec §8 SET NULL), which makes them due for the files sweep at once (§9.3).
   */
  async deleteRoom(roomId: number): Promise<void> {
    await this.prisma.room.delete({ where: { id: roomId } });
  }

  async allRooms(): Promise<Room[]> {
    return this.prisma.$queryRaw<Room[]>`
      SELECT id, token::text AS token, name, description, image AS "imageId", created, message_sequence AS "messageSequence",
             info_updates AS "infoUpdates", active_users AS "activeUsers", read, accessible, write, upload
      FROM rooms ORDER BY lower(token)`;
  }

  async roomStats(roomId: number, now: number): Promise<RoomStats> {
    const [messages] = await this.prisma.$queryRaw<Array<{ n: bigint; bytes: bigint | null; deleted: bigint }>>`
      SELECT count(*) FILTER (WHERE data IS NOT NULL) AS n, sum(coalesce(data_size, length(data))) AS bytes,
             count(*) FILTER (WHERE data IS NULL) AS deleted
      FROM messages WHERE room = ${roomId}`;
    const [files] = await this.prisma.$queryRaw<Array<{ n: bigint; bytes: bigint | null }>>`
      SELECT count(*) AS n, sum(size) AS bytes FROM files WHERE room = ${roomId} AND (expiry IS NULL OR expiry > ${now}::double precision)`;
    const [active] = await this.prisma.$queryRaw<Array<{ d1: bigint; d7: bigint; d14: bigint; d30: bigint }>>`
      SELECT count(*) FILTER (WHERE last_active > ${now - 86400}::double precision) AS d1,
             count(*) FILTER (WHERE last_active > ${now - 7 * 86400}::double precision) AS d7,
             count(*) FILTER (WHERE last_active > ${now - 14 * 86400}::double precision) AS d14,
             count(*) FILTER (WHERE last_active > ${now - 30 * 86400}::double precision) AS d30
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

  async userBySessionId(sessionId: string): Promise<{ id: number } | null> {
    return this.prisma.user.findUnique({ where: { canonicalId: canonicalSessionId(sessionId) }, select: { id: true } });
  }

  /** Live (not yet expired) room files matching the filter, oldest first. */
  async files(filter: FileFilter, now: number): Promise<FileRow[]> {
    const rows = await this.prisma.file.findMany({
      where: {
        roomId: filter.room ? filter.room.id : { not: null },
        ...(filter.uploaderId !== undefined ? { uploaderId: filter.uploaderId } : {}),
        ...(filter.before !== undefined ? { uploaded: { lt: filter.before } } : {}),
        OR: [{ expiry: null }, { expiry: { gt: now } }],
      },
      select: { id: true, size: true, uploaded: true, expiry: true, filename: true, messageId: true, room: { select: { token: true } }, uploader: { select: { sessionId: true } } },
      orderBy: { uploaded: 'asc' },
    });
    return rows.map((r) => ({
      id: r.id,
      room: r.room?.token ?? null,
      uploader: r.uploader?.sessionId ?? null,
      size: r.size,
      uploaded: r.uploaded,
      expiry: r.expiry,
      filename: r.filename,
      message: r.messageId,
    }));
  }

  /** Expires the files now (reads 404 at once); the room image is cleared from its room first. */
  async expireFiles(ids: number[], now: number): Promise<number> {
    if (ids.length === 0) return 0;
    return this.prisma.$transaction(async (tx) => {
      await tx.room.updateMany({ where: { imageId: { in: ids } }, data: { imageId: null, infoUpdates: { increment: 1 } } });
      const { count } = await tx.file.updateMany({ where: { id: { in: ids } }, data: { expiry: now } });
      return count;
    });
  }
}
