import { BadRequestException, HttpException, HttpStatus, Inject, Injectable, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Clock } from '../core/clock';
import { fileServerContentId } from '../crypto/content-id';
import { FILE_SERVER_FILE_ID } from '../protocol/constants';
import { FileExpiryService } from './file-expiry.service';
import { FilesRepository, type Tx } from './files.repository';
import { FILE_NOT_FOUND, ObjectStore, type ContentFingerprint } from './object-store.service';
import { BlocklistService } from './blocklist.service';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { UploadLimits } from './upload-limits';
import { PluginHooks } from '../plugins/plugin-hooks.service';

/** protocol §12.1: compat ids are random integers in [0, 2^53), tried up to 25 times. */
const COMPAT_ID_TRIES = 25;
/** Modern clients can only extend 44-character content ids (protocol §12.4). */
const CONTENT_ID_LENGTH = 44;
export const INVALID_FILE_ID = 'Invalid file id';
/** Subject of the file server's rate rules: one budget for the whole server. */
const SERVER_WIDE = 'all';

/** Thrown inside an upload's transaction to roll it back when it would pass FILE_SERVER_MAX_STORAGE. */
class StorageFull extends Error {}
/** Thrown inside an upload's transaction to roll it back when every id it tried is taken. */
class IdsTaken extends Error {}

export interface ServerFileInfo {
  size: number;
  uploaded: number;
  expires: number;
}

/** The Session file server (protocol §12): anonymous uploads with their own size limit and expiry. */
@Injectable()
export class FileServerService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: FilesRepository,
    private readonly objects: ObjectStore,
    private readonly expiry: FileExpiryService,
    private readonly limits: UploadLimits,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
    private readonly blocklist: BlocklistService,
    private readonly plugins: PluginHooks,
  ) {}

  /**
   * POST /file. Identical bytes under content ids are stored once: uploaded = now, expiry = max
   * (protocol §12.1). Within the server-wide upload rate: every upload counts, its bytes only when
   * they are new (a known content id costs none); a failed upload counts nothing.
   */
  async upload(body: Buffer, ttlHeader: string | undefined): Promise<{ id: string; expires: number }> {
    if (body.length === 0 || body.length > this.config.FILE_SERVER_MAX_SIZE) {
      throw new PayloadTooLargeException(`File must be 1 to ${this.config.FILE_SERVER_MAX_SIZE} bytes`);
    }
    const ttl = this.ttl(ttlHeader);
    return this.limits.withUploadSlot(async () => {
      const fingerprint = this.objects.fingerprint(body);
      await this.blocklist.refuseBlocked(fingerprint);
      await this.plugins.beforeUpload(null, null, fingerprint.sha256, body.length);
      const upload = await this.limiter.consume('file-server-uploads', SERVER_WIDE);
      try {
        return await this.store(body, fingerprint, ttl);
      } catch (err) {
        await this.limiter.refund(upload);
        throw err;
      }
    });
  }

  private async store(body: Buffer, fingerprint: ContentFingerprint, ttl: number): Promise<{ id: string; expires: number }> {
    const uploaded = this.clock.seconds();
    const row = { size: body.length, uploaded, expiry: uploaded + ttl };
    if (this.config.FILE_SERVER_CONTENT_IDS) {
      const id = fileServerContentId(body);
      const known = await this.repo.touchServerFile(id, uploaded, row.expiry);
      if (known) return this.scheduled(id, known.expiry);
      return this.withNewBytes(body.length, async () => {
        if (await this.insert(body, fingerprint, [id], row)) return { ...(await this.scheduled(id, row.expiry)), stored: true };
        // A concurrent upload of the same bytes won the insert: it holds the object.
        const raced = await this.repo.touchServerFile(id, uploaded, row.expiry);
        return { ...(await this.scheduled(id, raced?.expiry ?? row.expiry)), stored: false };
      });
    }
    return this.withNewBytes(body.length, async () => {
      const ids = Array.from({ length: COMPAT_ID_TRIES }, () => (randomBytes(8).readBigUInt64BE() >> 11n).toString());
      const id = await this.insert(body, fingerprint, ids, row);
      if (id === null) throw new HttpException('Could not allocate a file id', HttpStatus.INSUFFICIENT_STORAGE);
      return { ...(await this.scheduled(id, row.expiry)), stored: true };
    });
  }

  /**
   * Runs `write` of new bytes (known bytes take no new storage, so they are served even when the
   * file server is full) within the storage cap and the server-wide byte rate; the bytes are given
   * back when it stores none (a lost race, a failure).
   */
  private async withNewBytes(size: number, write: () => Promise<{ id: string; expires: number; stored: boolean }>): Promise<{ id: string; expires: number }> {
    await this.requireStorage(size);
    const bytes = await this.limiter.consume('file-server-bytes', SERVER_WIDE, size);
    try {
      const { id, expires, stored } = await write();
      if (!stored) await this.limiter.refund(bytes);
      return { id, expires };
    } catch (err) {
      await this.limiter.refund(bytes);
      throw err;
    }
  }

  /** GET /file/:id: the bytes and the expiry (404 once expired, protocol §12.2). */
  async download(id: string): Promise<{ size: number; expires: number; body: Readable }> {
    checkId(id);
    const file = await this.repo.findServerFile(id);
    if (!file || file.expiry <= this.clock.seconds()) throw new NotFoundException(FILE_NOT_FOUND);
    return { size: file.size, expires: file.expiry, body: await this.objects.read(file.object) };
  }

  /** GET /file/:id/info (protocol §12.3). */
  async info(id: string): Promise<ServerFileInfo> {
    checkId(id);
    const file = await this.repo.findServerFile(id);
    if (!file || file.expiry <= this.clock.seconds()) throw new NotFoundException(FILE_NOT_FOUND);
    return { size: file.size, uploaded: file.uploaded, expires: file.expiry };
  }

  /** POST /file/:id/extend: expiry = max(expiry, now + ttl), never shortened (protocol §12.4). */
  async extend(id: string, ttlHeader: string | undefined): Promise<ServerFileInfo> {
    checkId(id);
    if (id.length < CONTENT_ID_LENGTH) throw new NotFoundException(FILE_NOT_FOUND);
    const ttl = this.ttl(ttlHeader);
    const now = this.clock.seconds();
    const file = await this.repo.extendServerFile(id, now, now + ttl);
    if (!file) throw new NotFoundException(FILE_NOT_FOUND);
    await this.expiry.schedule('server', id, file.expiry);
    return { size: file.size, uploaded: file.uploaded, expires: file.expiry };
  }

  /**
   * X-FS-TTL (protocol §12.1): honoured only when FILE_SERVER_MAX_TTL > 0; then a non-integer,
   * negative or too large value is a 400. Otherwise the default FILE_SERVER_EXPIRY.
   */
  private ttl(header: string | undefined): number {
    const max = this.config.FILE_SERVER_MAX_TTL;
    if (max === 0 || header === undefined) return this.config.FILE_SERVER_EXPIRY;
    const value = header.trim();
    if (!/^[+-]?\d+$/.test(value)) throw new BadRequestException('X-FS-TTL must be an integer number of seconds');
    const ttl = Number(value);
    if (ttl < 0 || ttl > max) throw new BadRequestException(`X-FS-TTL must be between 0 and ${max}`);
    return ttl;
  }

  /**
   * Inserts the row under the first free id of `ids`, holding a reference to the object with this
   * content (shared server-wide, ObjectStore.storeShared); null when every id is taken. Past
   * FILE_SERVER_MAX_STORAGE it is a 507 with nothing kept: the check reads the total the insert's own
   * trigger wrote, holding the counter row, so concurrent uploads cannot pass the cap together.
   */
  private async insert(body: Buffer, fingerprint: ContentFingerprint, ids: string[], row: { size: number; uploaded: number; expiry: number }): Promise<string | null> {
    try {
      return await this.objects.storeShared(body, fingerprint, async (tx, objectKey) => {
        for (const id of ids) {
          if (!(await this.repo.insertServerFile(tx, { id, ...row, objectKey }))) continue;
          if (this.config.FILE_SERVER_MAX_STORAGE > 0 && this.overCap(await this.storedBytes(tx), 0)) throw new StorageFull();
          return id;
        }
        throw new IdsTaken();
      });
    } catch (err) {
      if (err instanceof IdsTaken) return null;
      if (err instanceof StorageFull) throw this.fullError();
      throw err;
    }
  }

  /** A cheap early refusal before the bytes are sealed and written (insert makes the exact check). */
  private async requireStorage(size: number): Promise<void> {
    if (this.config.FILE_SERVER_MAX_STORAGE > 0 && this.overCap(await this.storedBytes(), size)) throw this.fullError();
  }

  private overCap(stored: number, adding: number): boolean {
    const cap = this.config.FILE_SERVER_MAX_STORAGE;
    return cap > 0 && stored + adding > cap;
  }

  private async storedBytes(tx?: Tx): Promise<number> {
    return (await this.repo.storageUsage(tx)).find((u) => u.kind === 'file_server')?.bytes ?? 0;
  }

  private fullError(): HttpException {
    return new HttpException(`File server storage is full (FILE_SERVER_MAX_STORAGE ${this.config.FILE_SERVER_MAX_STORAGE} bytes)`, HttpStatus.INSUFFICIENT_STORAGE);
  }

  private async scheduled(id: string, expires: number): Promise<{ id: string; expires: number }> {
    await this.expiry.schedule('server', id, expires);
    return { id, expires };
  }
}

function checkId(id: string): void {
  if (!FILE_SERVER_FILE_ID.test(id)) throw new BadRequestException(INVALID_FILE_ID);
}
