import { Injectable } from '@nestjs/common';
import { FilesRepository, type FilesToAttach, type MessageFilesExpiry, type Tx } from './files.repository';

/**
 * What posts, edits, pins, deletions and room images do to room files (protocol §6.3, §6.5, §9.3),
 * inside the caller's transaction: the rooms module changes `files` only through here, so
 * FilesRepository stays the one writer of the table. The per-file expiry job is FilesService's.
 */
@Injectable()
export class RoomFiles {
  constructor(private readonly repo: FilesRepository) {}

  /** Attaches the poster's attachable uploads to an edited message; returns how many. */
  attach(tx: Tx, roomId: number, userId: number, messageId: number, files: FilesToAttach): Promise<number> {
    return this.repo.attachToMessage(tx, roomId, userId, messageId, files);
  }

  setMessageFilesExpiry(tx: Tx, messageIds: number[], mode: MessageFilesExpiry): Promise<void> {
    return this.repo.setMessageFilesExpiry(tx, messageIds, mode);
  }

  /** protocol §9.3 delete-all-posts: the user's files in the room expire `at`, the room image excepted. */
  expireUploadsOf(tx: Tx, roomId: number, userId: number, at: number): Promise<void> {
    return this.repo.expireUploadsOf(tx, roomId, userId, at);
  }

  /**
   * protocol §9.3: a new room image is kept for good, the one it replaces expires `at`. False, with
   * nothing changed, when the file is not a live file of the room.
   */
  async makeRoomImage(tx: Tx, roomId: number, fileId: number, previousId: number | null, at: number): Promise<boolean> {
    if (!(await this.repo.lockLiveRoomFile(tx, roomId, fileId, at))) return false;
    await this.repo.setRoomFileExpiry(tx, fileId, null);
    if (previousId !== null) await this.repo.setRoomFileExpiry(tx, previousId, at);
    return true;
  }

  /** Deleted files expire `now` (protocol §9.3): reads 404 at once, the sweep removes them. Returns how many there were. */
  expire(tx: Tx, ids: number[], now: number): Promise<number> {
    return this.repo.expireRoomFiles(tx, ids, now);
  }
}
