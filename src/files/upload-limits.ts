import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';

/**
 * A cap on uploads in progress in this process (issue 4 item 6), so the memory held by upload
 * bodies stays bounded. Byte quotas and upload rates are rules of the RateLimiter.
 */
@Injectable()
export class UploadLimits {
  private active = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

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
}
