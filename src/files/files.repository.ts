import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { Prisma } from '../generated/prisma/client';

export type Tx = Prisma.TransactionClient;

/** What storage_usage counts: room files, file-server files. */
export interface StorageUsage {
  kind: 'room' | 'file_server';
  bytes: number;
  files: number;
}

/** What is needed to read a stored object back. */
export interface StoredObjectRef {
  key: string;
  keyId: string;
  wrappedKey: Uint8Array;
}

export interface RoomFileRow {
  id: number;
  roomId: number | null;
  size: number;
  uploaded: number;
  expiry: number | null;
  filename: string | null;
  object: StoredObjectRef;
}

export interface ServerFileRow {
  id: string;
  size: number;
  uploaded: number;
  expiry: number;
  object: StoredObjectRef;
}

export interface RoomFileListing {
  id: number;
  room: string | null;
  uploader: string | null;
  size: number;
  uploaded: number;
  expiry: number | null;
  filename: string | null;
  message: number | null;
}

export interface RoomFileFilter {
  roomId?: number;
  uploaderId?: number;
  /** Uploaded before this unix time. */
  before?: number;
}

const OBJECT_REF = { select: { key: true, keyId: true, wrappedKey: true } } as const;

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
 * Postgres I/O of files (protocol §8 `files`, §12 `server_files`) and of the refcounted encrypted
 * objects behind them (`storage_objects`). Reference counts change only in the same transaction
 * as the rows that hold the references.
 */
@Injectable()
export class FilesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Short transactions, but started while large uploads keep the event loop and the pool busy:
   * waiting longer for a connection beats failing an upload that is already in memory.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work, { maxWait: 15_000, timeout: 30_000 });
  }

  // --- storage_objects

  /** A new object about to be written: unreferenced, and collectable after `deleteAfter`. */
  async createPendingObject(data: { key: string; size: number; keyId: string; wrappedKey: Uint8Array; contentHash: Uint8Array | null; deleteAfter: number }): Promise<void> {
    await this.prisma.storageObject.create({
      data: { ...data, wrappedKey: Buffer.from(data.wrappedKey), contentHash: data.contentHash ? Buffer.from(data.contentHash) : null, refs: 0 },
    });
  }

  /** One more reference to a written object (cancels any pending deletion deadline). */
  async addRef(tx: Tx, key: string): Promise<void> {
    await tx.$executeRaw`UPDATE storage_objects SET refs = refs + 1, delete_after = NULL WHERE key = ${key}`;
  }

  /**
   * Takes a reference to a live object with this content hash, if any. The row lock orders it
   * against a concurrent release: an object whose count already reached 0 is never revived.
   */
  async claimDuplicate(tx: Tx, contentHash: Uint8Array): Promise<string | null> {
    const rows = await tx.$queryRaw<Array<{ key: string }>>`
      UPDATE storage_objects SET refs = refs + 1
      WHERE key = (SELECT key FROM storage_objects WHERE content_hash = ${Buffer.from(contentHash)} AND refs > 0 LIMIT 1 FOR UPDATE)
      RETURNING key`;
    return rows[0]?.key ?? null;
  }

  /** Drops one reference; returns true when it was the last (the object is then due for deletion). */
  async release(tx: Tx, key: string, now: number): Promise<boolean> {
    const rows = await tx.$queryRaw<Array<{ refs: number }>>`
      UPDATE storage_objects SET refs = refs - 1, delete_after = CASE WHEN refs - 1 <= 0 THEN ${now}::double precision ELSE NULL END
      WHERE key = ${key} RETURNING refs`;
    return rows.length > 0 && rows[0].refs <= 0;
  }

  /** Unreferenced objects past their deadline: released ones and abandoned writes. */
  async collectableObjects(now: number, limit: number): Promise<string[]> {
    const rows = await this.prisma.storageObject.findMany({
      where: { refs: { lte: 0 }, deleteAfter: { lte: now } },
      select: { key: true },
      take: limit,
    });
    return rows.map((r) => r.key);
  }

  /** Forgets an object whose bytes are gone; a row that gained a reference meanwhile stays. */
  async removeObjectRow(key: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM storage_objects WHERE key = ${key} AND refs <= 0`;
  }

  async objectsWrappedWithOtherKeys(currentKeyId: string, limit: number): Promise<StoredObjectRef[]> {
    return this.prisma.storageObject.findMany({ where: { keyId: { not: currentKeyId } }, select: OBJECT_REF.select, take: limit });
  }

  async rewrap(key: string, fromKeyId: string, keyId: string, wrappedKey: Uint8Array): Promise<void> {
    await this.prisma.storageObject.updateMany({ where: { key, keyId: fromKeyId }, data: { keyId, wrappedKey: Buffer.from(wrappedKey) } });
  }

  // --- room files (protocol §6.6)

  async insertRoomFile(
    tx: Tx,
    data: { roomId: number; uploaderId: number; size: number; uploaded: number; expiry: number | null; filename: string | null; objectKey: string },
  ): Promise<number> {
    const row = await tx.file.create({ data, select: { id: true } });
    return row.id;
  }

  async findRoomFile(id: number, tx: Tx = this.prisma): Promise<RoomFileRow | null> {
    return tx.file.findUnique({
      where: { id },
      select: { id: true, roomId: true, size: true, uploaded: true, expiry: true, filename: true, object: OBJECT_REF },
    });
  }

  async setRoomFileExpiry(tx: Tx, id: number, expiry: number | null): Promise<void> {
    await tx.file.update({ where: { id }, data: { expiry } });
  }

  /** Live (not yet expired) room files matching the filter, oldest first. */
  async liveRoomFiles(filter: RoomFileFilter, now: number): Promise<RoomFileListing[]> {
    const rows = await this.prisma.file.findMany({
      where: {
        roomId: filter.roomId ?? { not: null },
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

  /** Sets the files' expiry to now (protocol §9.3 "deleted"); returns how many there were. */
  async expireRoomFiles(tx: Tx, ids: number[], now: number): Promise<number> {
    const { count } = await tx.file.updateMany({ where: { id: { in: ids } }, data: { expiry: now } });
    return count;
  }

  /** Due room files: expiry reached, or the room is gone (protocol §8 `files.room` SET NULL). */
  async dueRoomFileIds(now: number, limit: number): Promise<number[]> {
    const rows = await this.prisma.file.findMany({
      where: { OR: [{ expiry: { lte: now } }, { roomId: null }] },
      select: { id: true },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /** Deletes the row if it is (still) due and releases its object; returns the object key if that was its last reference. */
  async deleteDueRoomFile(tx: Tx, id: number, now: number): Promise<{ deleted: boolean; releasedKey: string | null }> {
    const rows = await tx.$queryRaw<Array<{ object_key: string }>>`
      DELETE FROM files WHERE id = ${id} AND (expiry <= ${now}::double precision OR room IS NULL) RETURNING object_key`;
    if (!rows.length) return { deleted: false, releasedKey: null };
    const key = rows[0].object_key;
    return { deleted: true, releasedKey: (await this.release(tx, key, now)) ? key : null };
  }

  // --- file-server files (protocol §12)

  async findServerFile(id: string): Promise<ServerFileRow | null> {
    return this.prisma.serverFile.findUnique({
      where: { id },
      select: { id: true, size: true, uploaded: true, expiry: true, object: OBJECT_REF },
    });
  }

  async serverFileExists(id: string): Promise<boolean> {
    return (await this.prisma.serverFile.count({ where: { id } })) > 0;
  }

  /**
   * Re-upload of known content (protocol §12.1): uploaded = now, expiry = max(old, new). Returns the
   * row, or null if there is none (or it was deleted meanwhile).
   */
  async touchServerFile(id: string, now: number, expiry: number): Promise<{ expiry: number } | null> {
    const rows = await this.prisma.$queryRaw<Array<{ expiry: number }>>`
      UPDATE server_files SET uploaded = ${now}::double precision, expiry = GREATEST(expiry, ${expiry}::double precision)
      WHERE id = ${id} RETURNING expiry`;
    return rows[0] ?? null;
  }

  /** protocol §12.4: expiry = max(expiry, new) on a live file; null if unknown or expired. */
  async extendServerFile(id: string, now: number, expiry: number): Promise<{ size: number; uploaded: number; expiry: number } | null> {
    const rows = await this.prisma.$queryRaw<Array<{ size: number; uploaded: number; expiry: number }>>`
      UPDATE server_files SET expiry = GREATEST(expiry, ${expiry}::double precision)
      WHERE id = ${id} AND expiry > ${now}::double precision RETURNING size, uploaded, expiry`;
    return rows[0] ?? null;
  }

  /**
   * Bytes and files stored, by kind (storage_usage, kept by triggers). Inside a transaction that
   * inserted a file row this is the total with that file, exact: the trigger holds the kind's row.
   */
  async storageUsage(db: Tx | PrismaService = this.prisma): Promise<StorageUsage[]> {
    const rows = await db.storageUsage.findMany({ orderBy: { kind: 'asc' } });
    return rows.map((r) => ({ kind: r.kind === 'room' ? 'room' : 'file_server', bytes: Number(r.bytes), files: r.files }));
  }

  /** Inserts a new file-server row; false when the id is taken (collision or a concurrent upload). */
  async insertServerFile(tx: Tx, data: { id: string; size: number; uploaded: number; expiry: number; objectKey: string }): Promise<boolean> {
    const inserted = await tx.$executeRaw`
      INSERT INTO server_files (id, size, uploaded, expiry, object_key)
      VALUES (${data.id}, ${data.size}, ${data.uploaded}::double precision, ${data.expiry}::double precision, ${data.objectKey})
      ON CONFLICT (id) DO NOTHING`;
    return inserted > 0;
  }

  async dueServerFileIds(now: number, limit: number): Promise<string[]> {
    const rows = await this.prisma.serverFile.findMany({ where: { expiry: { lte: now } }, select: { id: true }, take: limit });
    return rows.map((r) => r.id);
  }

  async deleteDueServerFile(tx: Tx, id: string, now: number): Promise<{ deleted: boolean; releasedKey: string | null }> {
    const rows = await tx.$queryRaw<Array<{ object_key: string }>>`
      DELETE FROM server_files WHERE id = ${id} AND expiry <= ${now}::double precision RETURNING object_key`;
    if (!rows.length) return { deleted: false, releasedKey: null };
    const key = rows[0].object_key;
    return { deleted: true, releasedKey: (await this.release(tx, key, now)) ? key : null };
  }

  // ---- import from another server

  async roomFileExists(id: number): Promise<boolean> {
    return (await this.prisma.file.count({ where: { id } })) > 0;
  }

  /**
   * The file row with its id, taking the first reference to the object just written (refs + 1 clears
   * the pending-deletion deadline).
   */
  async insertImportedRoomFile(f: ImportedFile, objectKey: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await this.addRef(tx, objectKey);
      await tx.$executeRaw`
        INSERT INTO files (id, room, uploader, message, size, uploaded, expiry, filename, object_key)
        VALUES (${f.id}, ${f.roomId}, ${f.uploaderId}, ${f.messageId}, ${f.size}, ${f.uploaded}, ${f.expiry}, ${f.filename}, ${objectKey})`;
    });
  }
}
