import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { PluginHooksModule } from '../plugins/plugin-hooks.module';
import { ModerationRepository } from './moderation.repository';
import { ModerationService } from './moderation.service';
import { StandingModule } from './standing.module';
import { RoomsModule } from '../rooms/rooms.module';
import { UsersModule } from '../users/users.module';

/**
 * Moderators, bans, permission overrides and futures (protocol §6.7, §6.8). Separate from UsersModule
 * (identity, which auth needs) so that this one may depend on rooms without an import cycle.
 * ModerationService is the face the CLI and the jobs use; StandingService (issue 14) says who is
 * trusted or new.
 */
@Module({
  imports: [UsersModule, RoomsModule, AuditModule, PluginHooksModule, StandingModule],
  providers: [ModerationRepository, ModerationService],
  exports: [ModerationService, StandingModule],
})
export class ModerationModule {}
