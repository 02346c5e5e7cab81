import { Inject, Injectable, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Clock } from '../core/clock';
import { filenameFromContentDisposition } from './content-disposition';
import { BlocklistService } from './blocklist.service';
import { FileExpiryService, type SweepResult } from './file-expiry.service';
import { FilesRepository, type ImportedFile, type RoomFileFilter, type RoomFileListing, type RoomFileRow } from './files.repository';
import { FILE_NOT_FOUND, ObjectStore } from './object-store.service';
import { JobName } from '../jobs/job-names';
import { OnJob } from '../jobs/on-job.decorator';
import { RateLimiter, type RateTake } from '../rate-limit/rate-limiter';
import { UploadLimits } from './upload-limits';
import type { Room } from '../generated/prisma/client';
import { PluginHooks } from '../plugins/plugin-hooks.service';

export interface RoomFileDownload {
  size: number;
  uploaded: number;
  expiry: number | null;
  filename: string | null;
  body: Readable;
}

function isExpired(file: Pick<RoomFileRow, 'roomId' | 'expiry'>, now: number): boolean {
  return file.roomId === null || (file.expiry !== null && file.expiry <= now);
}

/**
 * Room attachments and images (protocol §6.6, §9.3). Files arrive whole (the onion request carries
 * them), are sealed as they stream to storage, and are stored once server-wide by keyed content
 * hash; expiry follows §9.3, with the per-file job scheduled here.
 */
@Injectable()
export class FilesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: FilesRepository,
    private readonly objects: ObjectStore,
    private readonly expiry: FileExpiryService,
    private readonly limits: UploadLimits,
    private readonly limiter: RateLimiter,
    private readonly blocklist: BlocklistService,
    private readonly clock: Clock,
    private readonly plugins: PluginHooks,
  ) {}

  /**
   * Retention (docs/privacy.md): who uploaded a file is forgotten FILE_UPLOADER_RETENTION after the
   * upload, never before attaching it is no longer possible (FILE_UPLOAD_EXPIRY). The upload quota
   * counts in Redis and moderation records its actions in the audit log, so neither needs the link.
   */
  @OnJob(JobName.ForgetUploaders, { every: 'CLEANUP_INTERVAL' })
  forgetUploaders(): Promise<number> {
    const keep = Math.max(this.config.FILE_UPLOADER_RETENTION, this.config.FILE_UPLOAD_EXPIRY);
    return this.repo.forgetUploaders(this.clock.seconds() - keep);
  }

  /**
   * POST /room/:token/file: stores the bytes, returns the new file id (expires after FILE_UPLOAD_EXPIRY
   * unless attached). `quotas`: the windows the bytes take (RoomLimits.uploadTakes; default the
   * server's upload quota), given back when nothing is stored.
   */
  async upload(
    room: Pick<Room, 'id' | 'token'>,
    user: AuthenticatedUser,
    body: Buffer,
    contentDisposition: string | undefined,
    quotas: readonly RateTake[] = [{ rule: 'upload-bytes', subject: String(user.id), points: body.length }],
  ): Promise<number> {
    if (body.length > this.config.FILE_MAX_SIZE) {
      throw new PayloadTooLargeException(`File too large: ${body.length} bytes, the limit is ${this.config.FILE_MAX_SIZE}`);
    }
    const filename = filenameFromContentDisposition(contentDisposition);
    return this.limits.withUploadSlot(async () => {
      const fingerprint = this.objects.fingerprint(body);
      await this.blocklist.refuseBlocked(fingerprint);
      await this.plugins.beforeUpload(room, user, fingerprint.sha256, body.length);
      const places = await this.limiter.consumeAll(quotas);
      try {
        const uploaded = this.clock.seconds();
        const expiry = uploaded + this.config.FILE_UPLOAD_EXPIRY;
        const row = { roomId: room.id, uploaderId: user.id, size: body.length, uploaded, expiry, filename };
        const id = await this.objects.storeShared(body, fingerprint, (tx, objectKey) => this.repo.insertRoomFile(tx, { ...row, objectKey }));
        await this.expiry.schedule('room', id, expiry);
        return id;
      } catch (err) {
        await this.limiter.refundAll(places);
        throw err;
      }
    });
  }

  /** GET /room/:token/file/:id: the file if it belongs to the room and has not expired (protocol §6.6), else 404. */
  async download(roomId: number, fileId: number): Promise<RoomFileDownload> {
    const file = await this.repo.findRoomFile(fileId);
    if (!file || file.roomId !== roomId || isExpired(file, this.clock.seconds())) throw new NotFoundException(FILE_NOT_FOUND);
    const body = await this.objects.read(file.object);
    return { size: file.size, uploaded: file.uploaded, expiry: file.expiry, filename: file.filename, body };
  }

  /** Live room files matching the filter, oldest first (CLI). */
  listRoomFiles(filter: RoomFileFilter, now: number): Promise<RoomFileListing[]> {
    return this.repo.liveRoomFiles(filter, now);
  }

  /**
   * For modules that change a room file's expiry in their own transaction (attach, pin, unpin,
   * delete; protocol §9.3): call after commit so the deletion job runs at the new time. Optional —
   * the sweep deletes due files within FILE_SWEEP_INTERVAL, and reads never serve them.
   */
  scheduleExpiry(fileId: number, at: number | null): Promise<void> {
    return this.expiry.schedule('room', fileId, at);
  }

  /** Runs the sweep now (CLI, tests). */
  sweep(): Promise<SweepResult> {
    return this.expiry.sweep();
  }

  /** Re-wraps object keys still under an older master key (rotation; for the CLI). */
  rewrapAll(): Promise<number> {
    return this.objects.rewrapAll();
  }

  /** Bytes and files stored by kind (room files, file-server files), and the bytes of stored objects (after deduplication). */
  async storageUsage(): Promise<{ kinds: Array<{ kind: string; bytes: number; files: number }>; objectBytes: number }> {
    const [kinds, objects] = await Promise.all([this.repo.storageUsage(), this.repo.objectUsage()]);
    return { kinds, objectBytes: objects.bytes };
  }

  healthCheck(): Promise<void> {
    return this.objects.healthCheck();
  }

  // ---- import from another server (CLI `import pysogs`)

  roomFileExists(id: number): Promise<boolean> {
    return this.repo.roomFileExists(id);
  }

  /**
   * A room file with the source's id and metadata: the bytes are stored (encrypted) like an upload,
   * and its deletion is scheduled at its expiry like any other file (protocol §9.3).
   */
  async importRoomFile(f: ImportedFile, content: Buffer): Promise<void> {
    await this.objects.storeShared(content, this.objects.fingerprint(content), (tx, objectKey) => this.repo.insertImportedRoomFile(tx, f, objectKey));
    await this.expiry.schedule('room', f.id, f.expiry);
  }
}
