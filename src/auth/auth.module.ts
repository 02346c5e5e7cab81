import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { SogsAuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { AuthStore } from './auth.store';
import { RetryReplies } from './retry-replies';

/**
 * X-SOGS-* authentication (wire format: auth-headers.ts). The guard is global, so every route is
 * authenticated the same way whether reached through the onion gateway or a batch.
 */
@Module({
  imports: [UsersModule, RateLimitModule],
  providers: [AuthStore, AuthService, RetryReplies, { provide: APP_GUARD, useClass: SogsAuthGuard }],
  exports: [AuthService, RetryReplies],
})
export class AuthModule {}
