import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config';

/**
 * The shared Redis connection (nonces, retry replies, rate limits, cache invalidation). Keys are
 * namespaced with REDIS_PREFIX via key(); BullMQ opens its own connections (see jobs/).
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
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

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}
