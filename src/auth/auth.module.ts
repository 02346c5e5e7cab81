import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { AuthService } from './auth.service';
import { AuthStore } from './auth.store';
import { RetryReplies } from './retry-replies';

/** X-SOGS-* authentication (wire format: auth-headers.ts); the inner router authenticates every request through AuthService. */
@Module({
  imports: [UsersModule, RateLimitModule],
  providers: [AuthStore, AuthService, RetryReplies],
  exports: [AuthService, RetryReplies],
})
export class AuthModule {}
