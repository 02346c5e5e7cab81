import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { PostRules } from './post-rules';
import { ReactionsController } from './reactions.controller';
import { RoomPermissionGuard } from './room-permission.guard';
import { RoomsController } from './rooms.controller';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

/**
 * Rooms, messages, reactions and pins (spec §6.2–6.5, §7). RoomsService and the @RoomPermission
 * guard are the public face; modules using @RoomPermission import this module.
 */
@Module({
  imports: [RateLimitModule],
  controllers: [RoomsController, MessagesController, ReactionsController],
  providers: [RoomsRepository, RoomsService, MessagesService, PostRules, RoomPermissionGuard],
  exports: [RoomsService, MessagesService, RoomPermissionGuard],
})
export class RoomsModule {}
