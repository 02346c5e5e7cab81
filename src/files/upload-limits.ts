import { HttpException, HttpStatus, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { RedisService } from '../redis/redis.service';

/**
 * Abuse limits on uploads (issue 4 item 6): a cap on uploads in progress in this process, so the
 * memory held by upload bodies stays bounded, and an optional per-user byte quota per window,
 * counted in Redis so it holds across replicas.
 */
@Injectable()
export class UploadLimits {
  private active = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  /** Runs `work` as one upload in progress, or refuses with 503 when UPLOAD_CONCURRENCY are already running. */
  async withUploadSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.config.UPLOAD_CONCURRENCY) {
      throw new ServiceUnavailableException(`Too many uploads in progress (limit ${this.config.UPLOAD_CONCURRENCY}); retry shortly`);
    }
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
    }
  }

  /** Counts `bytes` against the user's quota; 429 (and nothing counted) when it would exceed it. */
  async chargeQuota(userId: number, bytes: number): Promise<void> {
    const quota = this.config.UPLOAD_QUOTA_BYTES;
    if (quota === 0) return;
    const window = this.config.UPLOAD_QUOTA_WINDOW;
    const key = this.quotaKey(userId);
    const [[, used]] = (await this.redis.client.multi().incrby(key, bytes).expire(key, window, 'NX').exec()) as [[Error | null, number]];
    if (used > quota) {
      await this.redis.client.decrby(key, bytes);
      throw new HttpException(`Upload quota exceeded: at most ${quota} bytes per ${window} seconds`, HttpStatus.TOO_MANY_REQUESTS);
    }
  }

  /** Gives back a charge for an upload that was not stored. */
  async refundQuota(userId: number, bytes: number): Promise<void> {
    if (this.config.UPLOAD_QUOTA_BYTES === 0) return;
    await this.redis.client.decrby(this.quotaKey(userId), bytes);
  }

  private quotaKey(userId: number): string {
    const windowIndex = Math.floor(Date.now() / 1000 / this.config.UPLOAD_QUOTA_WINDOW);
    return this.redis.key('upload-quota', String(userId), String(windowIndex));
  }
}
