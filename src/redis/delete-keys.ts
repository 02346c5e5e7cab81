import { Redis } from 'ioredis';

/**
 * Deletes every key matching `pattern` (a Redis glob) on the server at `url`, in SCAN batches so a
 * large keyspace never blocks Redis. Used to clean up after a test context or a benchmark run.
 */
export async function deleteRedisKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
