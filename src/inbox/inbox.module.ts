import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { InboxRepository } from './inbox.repository';
import { InboxService } from './inbox.service';
import { PluginHooksModule } from '../plugins/plugin-hooks.module';

/** Blinded direct messages (protocol §6.9). InboxService.expireMessages is a periodic job (`@OnJob`). */
@Module({
  imports: [AuditModule, UsersModule, RateLimitModule, PluginHooksModule],
  providers: [InboxRepository, InboxService],
  exports: [InboxService],
})
export class InboxModule {}
