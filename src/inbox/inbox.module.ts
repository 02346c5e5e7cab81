import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { InboxController } from './inbox.controller';
import { InboxRepository } from './inbox.repository';
import { InboxService } from './inbox.service';

/** Blinded direct messages (spec §6.9). InboxService.expireMessages is a periodic job (`@OnJob`). */
@Module({
  imports: [UsersModule, RateLimitModule],
  controllers: [InboxController],
  providers: [InboxRepository, InboxService],
  exports: [InboxService],
})
export class InboxModule {}
