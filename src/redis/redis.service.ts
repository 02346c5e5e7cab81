import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { deriveSecret, keyedHash } from '../crypto/keyed-hash';
import { redisKey, type RedisKeyKind } from './redis-keys';

/**
 * The shared Redis connection (nonces, retry replies, rate limits). Keys are namespaced with
 * REDIS_PREFIX via key(), one of the kinds in redis-keys.ts; BullMQ opens its own connections (see
 * jobs/). A key part that would name a user or a request goes through pseudonym() (docs/privacy.md).
 */
@Injectable()
export class RedisService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;
  private readonly prefix: string;
  private readonly keySecret: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(SERVER_KEY) serverKey: ServerKey) {
    this.prefix = config.REDIS_PREFIX;
    this.keySecret = deriveSecret(serverKey.privateKey, 'redis key pseudonyms');
    // Auto-pipelining sends the commands of one event-loop turn (many concurrent polls' nonces) in one write.
    // A Redis that stops answering fails commands after REDIS_COMMAND_TIMEOUT (503) instead of hanging them.
    this.client = new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: false,
      lazyConnect: false,
      enableAutoPipelining: true,
      commandTimeout: config.REDIS_COMMAND_TIMEOUT * 1000,
      connectTimeout: config.REDIS_CONNECT_TIMEOUT * 1000,
    });
    // Errors surface on the commands that fail; without a listener ioredis would print each retry.
    this.client.on('error', () => undefined);
  }

  /** Start-up: say so when a Redis restart would forget what keeps replays out (see checkPersistence). */
  onApplicationBootstrap(): void {
    const check = () => void this.checkPersistence().catch((err: Error) => this.logger.warn(err.message));
    if (this.client.status === 'ready') check();
    else this.client.once('ready', check);
  }

  /**
   * Rejects when Redis keeps neither an append-only file nor RDB snapshots: a restart would forget
   * the nonces (a signed request replayed after it would be accepted again), kept retry replies and
   * rate counts. Resolves when it persists, or when it cannot tell (a managed Redis may refuse CONFIG).
   */
  async checkPersistence(): Promise<void> {
    if (/^aof_enabled:1\s*$/m.test(await this.client.info('persistence'))) return;
    let save: unknown;
    try {
      save = ((await this.client.config('GET', 'save')) as unknown[])[1];
    } catch {
      return;
    }
    if (typeof save === 'string' && save.trim() === '') {
      throw new Error('Redis has neither AOF nor RDB persistence: a restart forgets nonces (replays of recent signed requests are accepted again), retry replies and rate counts');
    }
  }

  key(kind: RedisKeyKind, ...parts: string[]): string {
    return redisKey(this.prefix, kind, ...parts);
  }

  /**
   * The key part standing for `subject` (a user id, a signing key, a nonce, a room and user…): its
   * keyed hash under a secret every replica derives from the server key, so a limit still counts one
   * subject across replicas while a Redis dump names nobody. Every key part that identifies goes here.
   */
  pseudonym(...subject: string[]): string {
    return keyedHash(this.keySecret, subject.join(':'));
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}
