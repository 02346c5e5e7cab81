import { Redis } from 'ioredis';
import type { AppConfig } from '../config/config';

/** Redis cannot be used; the message says what is wrong and what to do. */
export class RedisNotReady extends Error {}

/** Connects once (no retries) and pings within REDIS_CONNECT_TIMEOUT; a failure is one sentence naming host:port. */
export async function checkRedis(config: AppConfig): Promise<void> {
  let where: string;
  try {
    const url = new URL(config.REDIS_URL);
    where = `${url.hostname || 'localhost'}:${url.port || '6379'}`;
  } catch {
    throw new RedisNotReady('REDIS_URL is not a URL: it must look like redis://host:6379');
  }
  const client = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    connectTimeout: config.REDIS_CONNECT_TIMEOUT * 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // The socket's own error (ECONNREFUSED, …): connect() rejects only with "Connection is closed".
  let socketError: Error | undefined;
  client.on('error', (err: Error) => (socketError ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    const e = (socketError ?? err) as { code?: string; message?: string };
    const start = 'start it (npm run serve starts a local one; Debian/Ubuntu: sudo apt-get install redis-server), or set REDIS_URL to a running server';
    if (e.code === 'ECONNREFUSED') throw new RedisNotReady(`Cannot reach Redis at ${where} (connection refused): ${start}`);
    if (/NOAUTH|WRONGPASS/.test(e.message ?? '')) throw new RedisNotReady(`Redis at ${where} refused the connection (${e.message}): check the password in REDIS_URL`);
    if (/timed? ?out/i.test(e.message ?? '')) throw new RedisNotReady(`Redis at ${where} did not answer within ${config.REDIS_CONNECT_TIMEOUT}s (REDIS_CONNECT_TIMEOUT): ${start}`);
    throw new RedisNotReady(`Cannot use Redis at ${where}: ${e.message ?? String(err)}`);
  } finally {
    // A connection that already ended has no socket to close: disconnect() would wait 2 s for its close event.
    if (client.status !== 'end') client.disconnect();
  }
}
