import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { FilesModule } from '../files/files.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { MessageRemoval } from './message-removal';
import { PluginHooksModule } from '../plugins/plugin-hooks.module';
import { MessagesService } from './messages.service';
import { PostRules } from './post-rules';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';
import { RoomAdminService } from './room-admin.service';
import { RoomLimits } from './room-limits';
import { StandingModule } from '../moderation/standing.module';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

/**
 * Rooms, messages, reactions and pins (protocol §6.2–6.5, §7), held posts and reports (issue 14).
 * RoomsService (room access included), MessagesService and ReviewService are the public face; their
 * routes are declared in api/.
 */ import { SinceResults } from './since-results';

@Module({
  imports: [RateLimitModule, FilesModule, AuditModule, UsersModule, PluginHooksModule, StandingModule],
  providers: [RoomsRepository, RoomsService, MessagesService, PostRules, RoomLimits, RoomAdminService, MessageRemoval, ReviewRepository, ReviewService, SinceResults],
  exports: [RoomsService, MessagesService, RoomAdminService, ReviewService, RoomLimits],
})
export class RoomsModule {}
