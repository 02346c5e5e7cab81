import { Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Clock } from '../core/clock';
import { MetricsService } from '../metrics/metrics.service';
import { MasterKeyring } from './encryption/master-keys';
import { newDataKey, newHeader, openStream, sealedSize, sealStream } from './encryption/object-cipher';
import { FilesRepository, type StoredObjectRef, type Tx } from './files.repository';
import { OBJECT_STORAGE, ObjectNotFoundError, type ObjectStorage } from './storage/object-storage';

export const FILE_NOT_FOUND = 'File not found';
export const STORAGE_UNAVAILABLE = 'File storage is unavailable; retry later';

export const MASTER_KEYRING = Symbol('MASTER_KEYRING');

export interface ContentFingerprint {
  sha256: Buffer;
  contentHash: Buffer;
}

/**
 * How long an object being written stays unreferenced before the sweep may collect it: far longer
 * than any upload takes, so only writes abandoned by a crash are collected.
 */
const PENDING_WRITE_GRACE = 3600;

/**
 * Encrypted, refcounted objects (DESIGN "Files"): every object is sealed under its own random key
 * before it reaches storage, and deleted only after its last referencing row is gone.
 *
 * Deletion order: the row (and its reference) first, in one transaction, then the bytes, then the
 * storage_objects row. A crash after the first step leaves an unreferenced object that nothing can
 * serve and that the sweep collects (`collect`).
 */
@Injectable()
export class ObjectStore implements OnModuleInit {
  private readonly logger = new Logger('ObjectStore');
  private abandonedSweptAt = -Infinity;

  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(MASTER_KEYRING) private readonly keyring: MasterKeyring,
    private readonly repo: FilesRepository,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.storage.init();
    this.metrics.trackStorage(async () => ({ byKind: await this.repo.storageUsage(), objects: await this.repo.objectUsage() }));
    // A crash (kill -9) mid-write is followed by a start: its partial files go now, not never.
    await this.sweepAbandonedWrites();
  }

  /**
   * Deletes partial writes older than any upload takes (PENDING_WRITE_GRACE), so only those a
   * crash abandoned; returns how many. At start-up, then from the periodic sweep once per grace
   * period (it walks the whole store).
   */
  async sweepAbandonedWrites(): Promise<number> {
    const now = this.clock.seconds();
    if (now - this.abandonedSweptAt < PENDING_WRITE_GRACE) return 0;
    this.abandonedSweptAt = now;
    const removed = await this.storage.sweepAbandonedWrites(PENDING_WRITE_GRACE);
    if (removed) this.logger.log(`removed ${removed} partial writes left by a crash`);
    return removed;
  }

  healthCheck(): Promise<void> {
    return this.storage.healthCheck();
  }

  /** What names a content: its SHA-256 (the blocklist's key) and the keyed hash objects are shared by. */
  fingerprint(content: Uint8Array): ContentFingerprint {
    const sha256 = createHash('sha256').update(content).digest();
    return { sha256, contentHash: this.keyring.contentHash(sha256) };
  }

  /**
   * Stores content once server-wide (issue 15 item 7): `attach` inserts the row that holds the
   * reference, in the transaction that takes it — to a live object with the same content if there is
   * one (room files of any room, file-server files), else to one written now. Every row names its own
   * room or id, so sharing bytes never makes a file readable where it was not posted. If `attach`
   * throws, nothing is referenced and an object written for it is deleted.
   */
  async storeShared<T>(content: Uint8Array, fingerprint: ContentFingerprint, attach: (tx: Tx, objectKey: string) => Promise<T>): Promise<T> {
    const shared = await this.repo.transaction(async (tx) => {
      const key = await this.repo.claimDuplicate(tx, fingerprint.contentHash);
      return key === null ? null : { row: await attach(tx, key) };
    });
    if (shared) {
      this.metrics.storageDeduplicated.inc();
      return shared.row;
    }
    const key = await this.write(content, fingerprint.contentHash);
    try {
      return await this.repo.transaction(async (tx) => {
        await this.repo.addRef(tx, key);
        return attach(tx, key);
      });
    } catch (err) {
      await this.collect(key).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Seals and writes `content` as a new object with no references yet; the caller adds the first
   * reference together with its row (`repo.addRef`), or the object is collected after the grace.
   * A storage failure is a 503 for the client (nothing was acknowledged).
   */
  async write(content: Uint8Array, contentHash: Uint8Array | null): Promise<string> {
    const hex = randomBytes(16).toString('hex');
    const key = `${hex.slice(0, 2)}/${hex}`;
    const dataKey = newDataKey();
    const { keyId, wrappedKey } = this.keyring.wrap(dataKey);
    const header = newHeader();
    await this.repo.createPendingObject({ key, size: content.length, keyId, wrappedKey, contentHash, deleteAfter: this.clock.seconds() + PENDING_WRITE_GRACE });
    try {
      await this.storage.put(key, { size: sealedSize(content.length), open: () => sealStream(dataKey, header, content) });
    } catch (err) {
      this.metrics.storageErrors.inc({ operation: 'put' });
      this.logger.error(`writing object ${key} failed: ${(err as Error).message}`);
      await this.collect(key).catch(() => undefined);
      throw new ServiceUnavailableException(STORAGE_UNAVAILABLE);
    } finally {
      dataKey.fill(0);
    }
    return key;
  }

  /**
   * The plaintext of an object, streamed. An object missing behind a live row is logged and
   * answered 404 (there is nothing to serve); an unreachable storage is a 503.
   */
  async read(ref: StoredObjectRef): Promise<Readable> {
    const dataKey = this.keyring.unwrap(ref.keyId, ref.wrappedKey);
    let sealed: Readable;
    try {
      sealed = await this.storage.get(ref.key);
    } catch (err) {
      this.metrics.storageErrors.inc({ operation: 'get' });
      this.logger.error(`reading object ${ref.key} failed: ${(err as Error).message}`);
      if (err instanceof ObjectNotFoundError) throw new NotFoundException(FILE_NOT_FOUND);
      throw new ServiceUnavailableException(STORAGE_UNAVAILABLE);
    }
    const plain = openStream(dataKey, sealed);
    plain.once('error', () => this.metrics.storageErrors.inc({ operation: 'decrypt' }));
    return plain;
  }

  /**
   * Quarantines the content with this SHA-256 (blocklist): under every configured master key, its
   * objects stop being shared, their files expire now, and their bytes are deleted from storage at
   * once (the rows and references go with the next sweep, whose delete finds nothing left).
   */
  async quarantine(sha256: Uint8Array, now: number): Promise<{ objects: number; roomFiles: number; serverFiles: number }> {
    const hit = await this.repo.transaction((tx) => this.repo.quarantineObjects(tx, this.keyring.contentHashesOf(sha256), now));
    for (const key of hit.keys) await this.deleteBytes(key);
    return { objects: hit.keys.length, roomFiles: hit.roomFiles, serverFiles: hit.serverFiles };
  }

  /** Deletes an unreferenced object's bytes, then its row. Idempotent; a missing object is fine. */
  async collect(key: string): Promise<void> {
    // A transaction whose commit we saw fail may have committed all the same (the connection was
    // cut after COMMIT): its reference is then real, and the bytes must stay. Once unreferenced,
    // nothing can reference the object again (claimDuplicate takes only objects with refs > 0).
    if (await this.repo.isReferenced(key)) return;
    await this.deleteBytes(key);
    await this.repo.removeObjectRow(key);
  }

  private async deleteBytes(key: string): Promise<void> {
    try {
      await this.storage.delete(key);
    } catch (err) {
      this.metrics.storageErrors.inc({ operation: 'delete' });
      throw err;
    }
  }

  /** Collects every unreferenced object past its deadline; returns how many. */
  async collectDue(now: number, batch = 500): Promise<number> {
    let count = 0;
    for (;;) {
      const keys = await this.repo.collectableObjects(now, batch);
      for (const key of keys) {
        await this.collect(key);
        count++;
      }
      if (keys.length < batch) return count;
    }
  }

  /**
   * Re-wraps every object key still wrapped by an older master key with the current one (key
   * rotation without re-upload). Returns how many were re-wrapped.
   */
  async rewrapAll(batch = 500): Promise<number> {
    const current = this.keyring.current.id;
    let count = 0;
    for (;;) {
      const refs = await this.repo.objectsWrappedWithOtherKeys(current, batch);
      for (const ref of refs) {
        const dataKey = this.keyring.unwrap(ref.keyId, ref.wrappedKey);
        const { keyId, wrappedKey } = this.keyring.wrap(dataKey);
        dataKey.fill(0);
        await this.repo.rewrap(ref.key, ref.keyId, keyId, wrappedKey);
        count++;
      }
      if (refs.length < batch) {
        if (count) this.logger.log(`re-wrapped ${count} object keys with master key ${current}`);
        return count;
      }
    }
  }
}
