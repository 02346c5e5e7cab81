import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { FilesModule } from '../files/files.module';
import { ModerationModule } from '../moderation/moderation.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ConsoleAuthService } from './console-auth.service';
import { ConsoleRepository } from './console.repository';
import { ConsoleService } from './console.service';

/** Sign-in links and sessions: what the CLI (`console login`) and the console share. */
@Module({
  providers: [ConsoleRepository, ConsoleAuthService],
  exports: [ConsoleAuthService],
})
export class ConsoleAuthModule {}

/**
 * The admin console's domain side (issue 17). It declares no controllers: its routes go on the
 * admin listener only (console.routes.ts, installed by admin/admin-server.ts), never the public port.
 */
@Module({
  imports: [ConsoleAuthModule, RoomsModule, ModerationModule, FilesModule, AuditModule],
  providers: [ConsoleService],
  exports: [ConsoleService, ConsoleAuthModule],
})
export class ConsoleModule {}
