import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafeKey, ObjectNotFoundError, type ObjectBody, type ObjectStorage } from './object-storage';

/** The temporary file of a write in progress (see put): `<key>.<12 hex>.tmp`, next to its key. */
const TEMP_FILE = /\.[0-9a-f]{12}\.tmp$/;

/**
 * Local-disk driver (the embedded default). Writes go to a temporary file in the same directory
 * and are renamed into place, so a reader or a crash never sees a partial object.
 */
export class FsObjectStorage implements ObjectStorage {
  readonly driver = 'fs' as const;
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  private path(key: string): string {
    assertSafeKey(key);
    return join(this.root, key);
  }

  async put(key: string, body: ObjectBody): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await pipeline(body.open(), createWriteStream(temp, { mode: 0o600 }));
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.path(key);
    try {
      await access(path);
    } catch {
      throw new ObjectNotFoundError(key);
    }
    return createReadStream(path);
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch {
      return false;
    }
  }

  async sweepAbandonedWrites(olderThanSeconds: number): Promise<number> {
    const before = Date.now() - olderThanSeconds * 1000;
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && TEMP_FILE.test(entry.name)) {
          const info = await stat(path).catch(() => null);
          // Another process may finish (rename) or remove it meanwhile: that is fine.
          if (
            info &&
            info.mtimeMs < before &&
            (await rm(path, { force: true }).then(
              () => true,
              () => false,
            ))
          )
            removed++;
        }
      }
    };
    await walk(this.root);
    return removed;
  }

  async healthCheck(): Promise<void> {
    await access(this.root);
  }
}
