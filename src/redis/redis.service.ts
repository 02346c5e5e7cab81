import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config';

/**
 * The shared Redis connection (nonces, retry replies, rate limits, cache invalidation). Keys are
 * namespaced with REDIS_PREFIX via key(); BullMQ opens its own connections (see jobs/).
 */
@Injectable()
export class RedisService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = config.REDIS_PREFIX;
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

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}
