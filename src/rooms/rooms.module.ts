import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { FilesModule } from '../files/files.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { MessagesService } from './messages.service';
import { PostRules } from './post-rules';
import { RoomAdminService } from './room-admin.service';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

/**
 * Rooms, messages, reactions and pins (protocol §6.2–6.5, §7). RoomsService (room access included)
 * and MessagesService are the public face; their routes are declared in api/.
 */
@Module({
  imports: [RateLimitModule, FilesModule, AuditModule, UsersModule],
  providers: [RoomsRepository, RoomsService, MessagesService, PostRules, RoomAdminService],
  exports: [RoomsService, MessagesService, RoomAdminService],
})
export class RoomsModule {}
