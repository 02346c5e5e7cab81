import { Module } from '@nestjs/common';
import { RateLimiter } from './rate-limiter';
import { RateLimitStore } from './rate-limit.store';

/** The server's one rate limiter (auth failures, requests, posts, DMs, reactions, uploads). */
@Module({
  providers: [RateLimitStore, RateLimiter],
  exports: [RateLimiter],
})
export class RateLimitModule {}
