import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BotsModule } from '../bots/bots.module';
import { ModerationModule } from '../moderation/moderation.module';
import { RoomsModule } from '../rooms/rooms.module';
import { UsersModule } from '../users/users.module';
import { PluginActions } from './plugin-actions.service';
import { PluginHooksModule } from './plugin-hooks.module';

/** Plugins (issue 16): starts them in the server (never in the CLI) and carries out their actions. */
@Module({
  imports: [PluginHooksModule, BotsModule, ModerationModule, RoomsModule, UsersModule, AuditModule],
  providers: [PluginActions],
})
export class PluginsModule {}
