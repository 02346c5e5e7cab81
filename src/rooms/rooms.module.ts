import { Module } from '@nestjs/common';
import { RoomPermissionGuard } from './room-permission.guard';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

/**
 * Rooms, messages, reactions and pins (spec §6.2–6.5, §7). RoomsService and the @RoomPermission
 * guard are the public face; modules using @RoomPermission import this module.
 */
@Module({
  providers: [RoomsRepository, RoomsService, RoomPermissionGuard],
  exports: [RoomsService, RoomPermissionGuard],
})
export class RoomsModule {}
