import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'minio';
import type { AppConfig } from '../../../src/config/config';

/**
 * Reads the storage backend directly (as an attacker with the bucket or disk would), bypassing
 * the server: the raw bytes of one object and the list of stored keys.
 */
export class StoredObjects {
  constructor(private readonly config: AppConfig) {}

  private s3(): Client {
    const url = new URL(this.config.S3_ENDPOINT!);
    return new Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: this.config.S3_ACCESS_KEY!,
      secretKey: this.config.S3_SECRET_KEY!,
      region: this.config.S3_REGION,
      pathStyle: true,
    });
  }

  async read(key: string): Promise<Buffer | null> {
    if (this.config.STORAGE_DRIVER === 'fs') {
      return readFile(join(this.config.STORAGE_DIR, key)).catch(() => null);
    }
    try {
      const parts: Buffer[] = [];
      for await (const part of await this.s3().getObject(this.config.S3_BUCKET, key)) parts.push(part as Buffer);
      return Buffer.concat(parts);
    } catch {
      return null;
    }
  }

  async keys(): Promise<string[]> {
    if (this.config.STORAGE_DRIVER === 'fs') {
      const entries = await readdir(this.config.STORAGE_DIR, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(this.config.STORAGE_DIR.length + 1))
        .sort();
    }
    const keys: string[] = [];
    for await (const item of this.s3().listObjectsV2(this.config.S3_BUCKET, '', true)) {
      if (item.name) keys.push(item.name);
    }
    return keys.sort();
  }
}

/** Bytes that look nothing like the ciphertext: a repeated, recognisable pattern. */
export function patternBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}
