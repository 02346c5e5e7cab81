import { Controller, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentUser, UserRequired } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { JsonBody } from '../core/json-body';
import { intPath } from './query-params';
import { RoomPermission } from './room-permission.guard';
import { RoomsService } from './rooms.service';

const flag = z.boolean().nullish();
/** spec §6.2 PUT /room/:token. */
const roomUpdateBody = z.object({
  name: z.string().nullish(),
  description: z.string().nullable().optional(),
  default_read: flag,
  default_accessible: flag,
  default_write: flag,
  default_upload: flag,
  // File ids are 32-bit columns: a larger number would overflow the query (a 500), so it is refused here.
  image: z.number().int().max(2_147_483_647, 'image must be a file id').nullish(),
});

/** Rooms and pins (spec §6.2, §6.5). The guard leaves the room and permissions on the request. */
@Controller()
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Get('rooms')
  list(@CurrentUser() user: AuthenticatedUser | null) {
    return this.rooms.listRooms(user);
  }

  @Get('room/:token')
  @RoomPermission('accessible')
  get(@Req() req: FastifyRequest) {
    return this.rooms.roomObject(req.room!, req.roomPermissions!);
  }

  @Put('room/:token')
  @UserRequired()
  @RoomPermission('admin')
  update(@Req() req: FastifyRequest, @JsonBody(roomUpdateBody) body: z.infer<typeof roomUpdateBody>) {
    return this.rooms.updateRoom(req.room!, body);
  }

  @Get('room/:token/pollInfo/:info_updated')
  @RoomPermission('read')
  pollInfo(@Req() req: FastifyRequest, @Param('info_updated') infoUpdated: string, @CurrentUser() user: AuthenticatedUser | null) {
    return this.rooms.pollInfo(req.room!, req.roomPermissions!, user, intPath(infoUpdated, { clamp: true }));
  }

  @Post('room/:token/pin/:msg_id')
  @HttpCode(200)
  @RoomPermission('admin', { anonymousForbidden: true })
  pin(@Req() req: FastifyRequest, @Param('msg_id') id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.rooms.pin(req.room!, intPath(id), user);
  }

  @Post('room/:token/unpin/all')
  @HttpCode(200)
  @RoomPermission('admin', { anonymousForbidden: true })
  unpinAll(@Req() req: FastifyRequest) {
    return this.rooms.unpin(req.room!, null);
  }

  @Post('room/:token/unpin/:msg_id')
  @HttpCode(200)
  @RoomPermission('admin', { anonymousForbidden: true })
  async unpin(@Req() req: FastifyRequest, @Param('msg_id') id: string) {
    const { unpinned, info_updates } = await this.rooms.unpin(req.room!, intPath(id));
    return { unpinned: unpinned > 0, info_updates };
  }
}
