import { Injectable } from '@nestjs/common';
import { PrismaService } from '../../database/prisma.service';
import type { OverrideFlags } from '../../moderation/permission-object';

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

export interface ImportedMessage {
  id: number;
  roomId: number;
  userId: number;
  posted: number;
  edited: number | null;
  seqno: number;
  seqnoData: number;
  seqnoReactions: number;
  seqnoCreation: number;
  data: Buffer | null;
  signature: Buffer | null;
  filtered: boolean;
  whisperToId: number | null;
  whisperMods: boolean;
}

export interface ImportedFile {
  id: number;
  roomId: number;
  uploaderId: number | null;
  messageId: number | null;
  size: number;
  uploaded: number;
  expiry: number | null;
  filename: string | null;
}

/**
 * Writes of `import pysogs`: rows keep the ids clients know (message and file ids, seqnos, room
 * tokens); every insert is "if absent", so running the import again changes nothing. I/O only.
 */
@Injectable()
export class ImportRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Our id of the user with this session id, created with the source's flags when absent. The
   * negated blinded twin of a user is that user (issue 19 item 7): a ban of either holds for both.
   */
  async upsertUser(u: { sessionId: string; created: number; lastActive: number; banned: boolean; moderator: boolean; admin: boolean; visibleMod: boolean }): Promise<number> {
    const rows = await this.prisma.$queryRaw<Array<{ id: number }>>`
      INSERT INTO users (session_id, created, last_active, banned, moderator, admin, visible_mod)
      VALUES (${u.sessionId}, ${u.created}, ${u.lastActive}, ${u.banned}, ${u.moderator}, ${u.admin}, ${u.visibleMod})
      ON CONFLICT (canonical_id) DO UPDATE SET banned = users.banned OR (EXCLUDED.banned AND users.session_id <> EXCLUDED.session_id)
      RETURNING id`;
    return rows[0].id;
  }

  /** Our id of the room with this token; an existing room keeps its state (a re-run). */
  async upsertRoom(r: ImportedRoom): Promise<number> {
    const rows = await this.prisma.$queryRaw<Array<{ id: number }>>`
      INSERT INTO rooms (token, name, description, created, message_sequence, info_updates, active_users, read, accessible, write, upload)
      VALUES (${r.token}, ${r.name}, ${r.description}, ${r.created}, ${r.messageSequence}, ${r.infoUpdates}, ${r.activeUsers}, ${r.read}, ${r.accessible}, ${r.write}, ${r.upload})
      ON CONFLICT (token) DO UPDATE SET message_sequence = GREATEST(rooms.message_sequence, EXCLUDED.message_sequence)
      RETURNING id`;
    return rows[0].id;
  }

  async insertMessages(messages: ImportedMessage[]): Promise<number> {
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

  async insertHistory(rows: Array<{ messageId: number; replaced: number; data: Buffer | null; signature: Buffer | null }>): Promise<number> {
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
  async upsertReaction(messageId: number, reaction: string): Promise<number> {
    const rows = await this.prisma.$queryRaw<Array<{ id: number }>>`
      INSERT INTO reactions (message, reaction) VALUES (${messageId}, ${reaction})
      ON CONFLICT (message, reaction) DO UPDATE SET reaction = EXCLUDED.reaction
      RETURNING id`;
    return rows[0].id;
  }

  async insertUserReaction(reactionId: number, userId: number, at: number): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO user_reactions (reaction, "user", at) VALUES (${reactionId}, ${userId}, ${at}) ON CONFLICT DO NOTHING`;
  }

  async insertPin(roomId: number, messageId: number, pinnedBy: number, pinnedAt: number): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO pinned_messages (room, message, pinned_by, pinned_at) VALUES (${roomId}, ${messageId}, ${pinnedBy}, ${pinnedAt}) ON CONFLICT DO NOTHING`;
  }

  async insertOverride(o: OverrideFlags & { roomId: number; userId: number }): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO user_permission_overrides (room, "user", banned, read, accessible, write, upload, moderator, admin, visible_mod)
      VALUES (${o.roomId}, ${o.userId}, ${o.banned}, ${o.read}, ${o.accessible}, ${o.write}, ${o.upload}, ${o.moderator}, ${o.admin}, ${o.visibleMod})
      ON CONFLICT DO NOTHING`;
  }

  async insertPermissionFuture(f: { roomId: number; userId: number; at: number; read: boolean | null; write: boolean | null; upload: boolean | null }): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO user_permission_futures (room, "user", at, read, write, upload)
      SELECT ${f.roomId}, ${f.userId}, ${f.at}, ${f.read}, ${f.write}, ${f.upload}
      WHERE NOT EXISTS (SELECT 1 FROM user_permission_futures WHERE room = ${f.roomId} AND "user" = ${f.userId} AND at = ${f.at})`;
  }

  async insertBanFuture(f: { roomId: number | null; userId: number; at: number; banned: boolean }): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO user_ban_futures (room, "user", at, banned)
      SELECT ${f.roomId}, ${f.userId}, ${f.at}, ${f.banned}
      WHERE NOT EXISTS (SELECT 1 FROM user_ban_futures WHERE room IS NOT DISTINCT FROM ${f.roomId} AND "user" = ${f.userId} AND at = ${f.at})`;
  }

  async insertRoomUser(roomId: number, userId: number, lastActive: number): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO room_users (room, "user", last_active) VALUES (${roomId}, ${userId}, ${lastActive}) ON CONFLICT DO NOTHING`;
  }

  async insertNeedsBlinding(blindedAbs: string, userId: number): Promise<number> {
    return this.prisma.$executeRaw`INSERT INTO needs_blinding (blinded_abs, "user") VALUES (${blindedAbs}, ${userId}) ON CONFLICT DO NOTHING`;
  }

  async insertInbox(m: { recipientId: number; senderId: number; body: Buffer; postedAt: number; expiry: number }): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO inbox (recipient, sender, body, posted_at, expiry)
      SELECT ${m.recipientId}, ${m.senderId}, ${m.body}, ${m.postedAt}, ${m.expiry}
      WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE recipient = ${m.recipientId} AND sender = ${m.senderId} AND posted_at = ${m.postedAt})`;
  }

  async fileExists(id: number): Promise<boolean> {
    return (await this.prisma.file.count({ where: { id } })) > 0;
  }

  /**
   * The file row with its id, taking the first reference to the object just written (the files
   * module's storage_objects bookkeeping: refs + 1 clears the pending-deletion deadline).
   */
  async insertFile(f: ImportedFile, objectKey: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE storage_objects SET refs = refs + 1, delete_after = NULL WHERE key = ${objectKey}`;
      await tx.$executeRaw`
        INSERT INTO files (id, room, uploader, message, size, uploaded, expiry, filename, object_key)
        VALUES (${f.id}, ${f.roomId}, ${f.uploaderId}, ${f.messageId}, ${f.size}, ${f.uploaded}, ${f.expiry}, ${f.filename}, ${objectKey})`;
    });
  }

  async setRoomImage(roomId: number, fileId: number): Promise<void> {
    await this.prisma.$executeRaw`UPDATE rooms SET image = ${fileId} WHERE id = ${roomId} AND image IS DISTINCT FROM ${fileId}`;
  }

  /** Moves every id sequence past the imported ids so new rows never collide with them. */
  async resetSequences(): Promise<void> {
    for (const table of ['users', 'rooms', 'messages', 'message_history', 'files', 'reactions', 'user_permission_futures', 'user_ban_futures', 'inbox']) {
      await this.prisma.$executeRawUnsafe(
        `SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), GREATEST((SELECT max(id) FROM "${table}"), 1), (SELECT max(id) FROM "${table}") IS NOT NULL)`,
      );
    }
  }
}
