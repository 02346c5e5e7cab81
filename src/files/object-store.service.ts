import { Inject, Injectable, Logger, NotFoundException, ServiceUnavailableException, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
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
    this.metrics.trackStorage(() => this.repo.storageUsage());
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

  /** Keyed hash for deduplication within `scope` (see MasterKeyring.contentHash). */
  contentHash(scope: string, content: Uint8Array): Buffer {
    return this.keyring.contentHash(scope, content);
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

  /** Takes a reference to a live object with this hash, if any (deduplication). */
  claimDuplicate(tx: Tx, contentHash: Uint8Array): Promise<string | null> {
    return this.repo.claimDuplicate(tx, contentHash);
  }

  /** Deletes an unreferenced object's bytes, then its row. Idempotent; a missing object is fine. */
  async collect(key: string): Promise<void> {
    try {
      await this.storage.delete(key);
    } catch (err) {
      this.metrics.storageErrors.inc({ operation: 'delete' });
      throw err;
    }
    await this.repo.removeObjectRow(key);
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
