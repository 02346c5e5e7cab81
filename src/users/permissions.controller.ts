import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentUser, UserRequired } from '../auth/auth.decorators';
import type { AuthenticatedUser } from './authenticated-user';
import { JsonBody } from '../core/json-body';
import { RoomPermission } from '../rooms/room-permission.guard';
import { ModerationService } from '../moderation/moderation.service';
import { ANY_SESSION_ID } from '../protocol/constants';
import { SessionIdPipe } from './session-id.pipe';

const flag = z.boolean().nullish();
const permissionsBody = z.object({
  read: flag,
  accessible: flag,
  write: flag,
  upload: flag,
  default_read: flag,
  default_accessible: flag,
  default_write: flag,
  default_upload: flag,
  unschedule: flag,
});
const futureBody = z.object({
  read: flag,
  write: flag,
  upload: flag,
  in: z.number({ error: "'in' (seconds) is required" }),
});

// 05 ids are accepted here (not only 15) because spec §2.4 resolves them to known blinded users.
const sessionIdParam = new SessionIdPipe(ANY_SESSION_ID);

/** spec §6.7: per-room permission overrides and scheduled changes, for room moderators. */
@Controller('room/:token')
@UserRequired()
@RoomPermission('moderator')
export class PermissionsController {
  constructor(private readonly moderation: ModerationService) {}

  @Get('permissions')
  list(@Req() req: FastifyRequest) {
    return this.moderation.roomPermissions(req.room!);
  }

  @Get('permissions/:session_id')
  get(@Req() req: FastifyRequest, @Param('session_id', sessionIdParam) sessionId: string) {
    return this.moderation.userPermissions(req.room!, sessionId);
  }

  @Post('permissions/:session_id')
  @HttpCode(200)
  set(
    @Req() req: FastifyRequest,
    @Param('session_id', sessionIdParam) sessionId: string,
    @JsonBody(permissionsBody) body: z.infer<typeof permissionsBody>,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.moderation.setPermissions(req.room!, sessionId, body, user);
  }

  @Get('futurePermissions')
  listFutures(@Req() req: FastifyRequest) {
    return this.moderation.roomFutures(req.room!);
  }

  @Get('futurePermissions/:session_id')
  getFutures(@Req() req: FastifyRequest, @Param('session_id', sessionIdParam) sessionId: string) {
    return this.moderation.userFuturesBySessionId(req.room!, sessionId);
  }

  @Post('futurePermissions/:session_id')
  @HttpCode(200)
  schedule(
    @Req() req: FastifyRequest,
    @Param('session_id', sessionIdParam) sessionId: string,
    @JsonBody(futureBody) body: z.infer<typeof futureBody>,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.moderation.schedulePermissions(req.room!, sessionId, body, body.in, user);
  }
}
