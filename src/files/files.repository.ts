import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { Prisma } from '../generated/prisma/client';

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
  /** Leave out files that are a room's image (a clean-up by age or uploader must not take the room's picture). */
  withoutRoomImages?: boolean;
}

const OBJECT_REF = { select: { key: true, keyId: true, wrappedKey: true } } as const;

/** Files named by a post or edit (protocol §6.3, §9.3): which may attach, and the expiry they then get (null = keep). */
export interface FilesToAttach {
  ids: number[];
  uploadedSince: number;
  expiry: number | null;
}

/** A message's files when it is pinned (keep), unpinned (`uploaded + keep`, null keep = forever) or deleted (expire `at`). */
export type MessageFilesExpiry = { keep: true } | { uploadedPlus: number | null } | { at: number };

/**
 * protocol §6.3 `files`: the poster's recent, unattached, still expiring uploads of this room.
 * `id` is the test of files.id; the others are SQL values or columns.
 */
function attachableSql(id: Prisma.Sql, roomId: Prisma.Sql, userId: Prisma.Sql, uploadedSince: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`files.id ${id} AND files.room = ${roomId} AND files.uploader = ${userId}
    AND files.message IS NULL AND files.uploaded >= ${uploadedSince} AND files.expiry IS NOT NULL`;
}

function attachable(roomId: number, userId: number, files: FilesToAttach): Prisma.Sql {
  return attachableSql(Prisma.sql`= ANY(${files.ids}::int[])`, Prisma.sql`${roomId}`, Prisma.sql`${userId}`, Prisma.sql`${files.uploadedSince}`);
}

/** The files a post of a batch names: `ord` is the post's 1-based place in the batch. */
export interface PostFiles {
  ord: number;
  roomId: number;
  userId: number;
  files: FilesToAttach;
}

/**
 * The attaching UPDATE of the posts of a batch, made in the same statement (protocol §6.3):
 * RoomsRepository.postMessages runs it as a CTE after its `posted` CTE (ord, outcome, id), so a
 * batch of posts stays one statement (issue 7, issue 18 item 3).
 */
export function attachToPostedSql(posts: readonly PostFiles[]): Prisma.Sql {
  const named = posts.flatMap((p) => p.files.ids.map((file) => ({ ...p, file })));
  const col = <T>(f: (n: (typeof named)[number]) => T) => named.map(f);
  return Prisma.sql`UPDATE files SET message = posted.id, expiry = a.expiry FROM posted
              JOIN unnest(${col((n) => n.ord)}::int[], ${col((n) => n.file)}::int[], ${col((n) => n.roomId)}::int[], ${col((n) => n.userId)}::int[],
                ${col((n) => n.files.uploadedSince)}::double precision[], ${col((n) => n.files.expiry)}::double precision[])
                AS a(ord, file, room, uploader, since, expiry) ON a.ord = posted.ord
              WHERE posted.outcome = 'posted' AND ${attachableSql(Prisma.sql`= a.file`, Prisma.sql`a.room`, Prisma.sql`a.uploader`, Prisma.sql`a.since`)}`;
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

  /** Whether the object has a reference (its row may also be gone: then it has none). */
  async isReferenced(key: string): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<Array<{ refs: number }>>`SELECT refs FROM storage_objects WHERE key = ${key}`;
    return rows.length > 0 && rows[0].refs > 0;
  }

  /** Forgets an object whose bytes are gone; a row that gained a reference meanwhile stays. */
  async removeObjectRow(key: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM storage_objects WHERE key = ${key} AND refs <= 0`;
  }

  /**
   * Quarantine (issue 15 item 6): the objects with one of these content hashes can no longer be
   * shared (their hash is cleared) and every file holding them expires now, so reads 404 at once and
   * the sweep drops the rows and their references. Returns the objects' keys and the files hit.
   */
  async quarantineObjects(tx: Tx, contentHashes: Uint8Array[], now: number): Promise<{ keys: string[]; roomFiles: number; serverFiles: number }> {
    const hexes = contentHashes.map((h) => Buffer.from(h).toString('hex'));
    const rows = await tx.$queryRaw<Array<{ keys: string[] | null; room_files: number; server_files: number }>>`
      WITH hit AS (
        UPDATE storage_objects SET content_hash = NULL
        WHERE content_hash IN (SELECT decode(h, 'hex') FROM unnest(${hexes}::text[]) AS h) RETURNING key
      ), room AS (
        UPDATE files SET expiry = ${now}::double precision
        WHERE object_key IN (SELECT key FROM hit) AND (expiry IS NULL OR expiry > ${now}::double precision) RETURNING id
      ), server AS (
        UPDATE server_files SET expiry = ${now}::double precision
        WHERE object_key IN (SELECT key FROM hit) AND expiry > ${now}::double precision RETURNING id
      )
      SELECT (SELECT array_agg(key) FROM hit) AS keys, (SELECT count(*)::int FROM room) AS room_files, (SELECT count(*)::int FROM server) AS server_files`;
    return { keys: rows[0]?.keys ?? [], roomFiles: rows[0]?.room_files ?? 0, serverFiles: rows[0]?.server_files ?? 0 };
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

  /** Live (not yet expired) room files matching the filter, oldest first. */
  async liveRoomFiles(filter: RoomFileFilter, now: number): Promise<RoomFileListing[]> {
    const rows = await this.prisma.file.findMany({
      where: {
        roomId: filter.roomId ?? { not: null },
        ...(filter.uploaderId !== undefined ? { uploaderId: filter.uploaderId } : {}),
        ...(filter.before !== undefined ? { uploaded: { lt: filter.before } } : {}),
        ...(filter.withoutRoomImages ? { roomImage: { is: null } } : {}),
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

  // --- room files changed by messages and rooms, in the caller's transaction (protocol §6.3, §6.5, §9.3)

  /**
   * Attaches the poster's recent, unattached, expiring uploads of this room to a message and gives
   * them the attached expiry (null = keep). Other ids are ignored (protocol §6.3).
   */
  async attachToMessage(tx: Tx, roomId: number, userId: number, messageId: number, files: FilesToAttach): Promise<number> {
    if (files.ids.length === 0) return 0;
    return tx.$executeRaw`UPDATE files SET message = ${messageId}, expiry = ${files.expiry} WHERE ${attachable(roomId, userId, files)}`;
  }

  async setMessageFilesExpiry(tx: Tx, messageIds: number[], mode: MessageFilesExpiry): Promise<void> {
    if (messageIds.length === 0) return;
    const expiry =
      'keep' in mode
        ? Prisma.sql`NULL`
        : 'at' in mode
          ? Prisma.sql`${mode.at}::double precision`
          : mode.uploadedPlus === null
            ? Prisma.sql`NULL`
            : Prisma.sql`uploaded + ${mode.uploadedPlus}::double precision`;
    await tx.$executeRaw`UPDATE files SET expiry = ${expiry} WHERE message = ANY(${messageIds}::int[])`;
  }

  /** Forgets the uploader of files uploaded before `before`; returns how many. (The uploader index finds the few still set.) */
  forgetUploaders(before: number): Promise<number> {
    return this.prisma.$executeRaw`UPDATE files SET uploader = NULL WHERE uploader IS NOT NULL AND uploaded < ${before}`;
  }

  /** protocol §9.3 delete-all-posts: the user's files in the room expire now, the room image excepted. */
  async expireUploadsOf(tx: Tx, roomId: number, userId: number, at: number): Promise<void> {
    await tx.$executeRaw`
      UPDATE files SET expiry = ${at}
      WHERE room = ${roomId} AND uploader = ${userId} AND id IS DISTINCT FROM (SELECT image FROM rooms WHERE id = ${roomId})
        AND (expiry IS NULL OR expiry > ${at})`;
  }

  /** Locks the file if it is one of this room's and has not expired (room image candidates, protocol §6.2). */
  async lockLiveRoomFile(tx: Tx, roomId: number, fileId: number, at: number): Promise<boolean> {
    const rows = await tx.$queryRaw<unknown[]>`
      SELECT 1 FROM files WHERE id = ${fileId} AND room = ${roomId} AND (expiry IS NULL OR expiry > ${at}) FOR UPDATE`;
    return rows.length > 0;
  }

  async setRoomFileExpiry(tx: Tx, id: number, expiry: number | null): Promise<void> {
    await tx.$executeRaw`UPDATE files SET expiry = ${expiry} WHERE id = ${id}`;
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
    const rows = await db.storageUsage.findMany({ where: { kind: { in: ['room', 'file_server'] } }, orderBy: { kind: 'asc' } });
    return rows.map((r) => ({ kind: r.kind === 'room' ? 'room' : 'file_server', bytes: Number(r.bytes), files: r.files }));
  }

  /** The objects in storage, each once (storage_usage 'objects', kept by a trigger on storage_objects). */
  async objectUsage(): Promise<{ bytes: number; count: number }> {
    const row = await this.prisma.storageUsage.findUnique({ where: { kind: 'objects' } });
    return { bytes: Number(row?.bytes ?? 0), count: row?.files ?? 0 };
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

  /** The file row with the source's id, in the transaction that took its object reference. */
  async insertImportedRoomFile(tx: Tx, f: ImportedFile, objectKey: string): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO files (id, room, uploader, message, size, uploaded, expiry, filename, object_key)
      VALUES (${f.id}, ${f.roomId}, ${f.uploaderId}, ${f.messageId}, ${f.size}, ${f.uploaded}, ${f.expiry}, ${f.filename}, ${objectKey})`;
  }
}
