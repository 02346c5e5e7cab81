import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RateLimiter } from './rate-limiter';
import { RateLimitStore } from './rate-limit.store';

/** The server's one rate limiter (auth failures, requests, posts, DMs, reactions, uploads). */
@Module({
  imports: [AuditModule],
  providers: [RateLimitStore, RateLimiter],
  exports: [RateLimiter],
})
export class RateLimitModule {}
