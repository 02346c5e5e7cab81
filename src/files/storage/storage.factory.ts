import type { AppConfig } from '../../config/config';
import { FsObjectStorage } from './fs-storage';
import type { ObjectStorage } from './object-storage';

/** The driver STORAGE_DRIVER names; s3 needs its endpoint and credentials. */
export function createObjectStorage(config: AppConfig): ObjectStorage {
  if (config.STORAGE_DRIVER === 'fs') return new FsObjectStorage(config.STORAGE_DIR);
  if (!config.S3_ENDPOINT || !config.S3_ACCESS_KEY || !config.S3_SECRET_KEY) {
    throw new Error('STORAGE_DRIVER=s3 needs S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY');
  }
  // Loaded only for s3: the minio client and its XML and lodash stack are ≈ 6 MB of heap in every process otherwise.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, see above
  const { S3ObjectStorage } = require('./s3-storage') as typeof import('./s3-storage');
  return new S3ObjectStorage({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    bucket: config.S3_BUCKET,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    pathStyle: config.S3_PATH_STYLE,
    timeoutMs: config.S3_REQUEST_TIMEOUT * 1000,
  });
}
