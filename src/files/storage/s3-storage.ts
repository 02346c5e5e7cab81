import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { Client, type ClientOptions } from 'minio';

type Transport = NonNullable<ClientOptions['transport']>;
import { assertSafeKey, ObjectNotFoundError, type ObjectBody, type ObjectStorage } from './object-storage';

export interface S3Settings {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  pathStyle: boolean;
  /** Milliseconds a request's connection may stay silent before the request fails. */
  timeoutMs: number;
}

/** S3 requests that fail when the store stops answering (minio has no timeout of its own). */
function timedTransport(useSSL: boolean, timeoutMs: number): Transport {
  const base = useSSL ? https : http;
  const request = (options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
    const req = base.request(options, callback);
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`S3 request timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    return req;
  };
  return { request: request as Transport['request'] };
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
}

async function sha256Hex(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done();
      },
    }),
  );
  return hash.digest('hex');
}

/** S3 driver (MinIO or any S3) through the `minio` client. */
export class S3ObjectStorage implements ObjectStorage {
  readonly driver = 's3' as const;
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;

  constructor(settings: S3Settings) {
    const url = new URL(settings.endpoint);
    const useSSL = url.protocol === 'https:';
    this.client = new Client({
      endPoint: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      region: settings.region,
      accessKey: settings.accessKey,
      secretKey: settings.secretKey,
      pathStyle: settings.pathStyle,
      transport: timedTransport(useSSL, settings.timeoutMs),
    });
    this.bucket = settings.bucket;
    this.region = settings.region;
  }

  async init(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) {
      try {
        await this.client.makeBucket(this.bucket, this.region);
      } catch (err) {
        // Another replica created it between the check and the call.
        const code = (err as { code?: string }).code;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
      }
    }
  }

  /**
   * One streamed PUT with a known length. minio's putObject would buffer the whole object for
   * objects under its part size; over plain HTTP the signature covers the body's SHA-256, so the
   * body is read twice (once to hash) rather than held in memory.
   */
  async put(key: string, body: ObjectBody): Promise<void> {
    assertSafeKey(key);
    const sha256 = this.client.enableSHA256 ? await sha256Hex(body.open()) : '';
    const res = await this.client.makeRequestStreamAsync(
      { method: 'PUT', bucketName: this.bucket, objectName: key, headers: { 'Content-Length': body.size } },
      body.open(),
      sha256,
      [200],
      this.region,
    );
    res.resume();
  }

  async get(key: string): Promise<Readable> {
    assertSafeKey(key);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertSafeKey(key);
    try {
      await this.client.statObject(this.bucket, key);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async sweepAbandonedWrites(): Promise<number> {
    return 0;
  }

  async healthCheck(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) throw new Error(`bucket ${this.bucket} does not exist`);
  }
}
