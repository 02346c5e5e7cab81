import { Controller, Delete, Get, Param, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CurrentUser, UserRequired } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { MessagesService } from './messages.service';
import { intPath, optionalIntQuery } from './query-params';
import { RoomPermission } from './room-permission.guard';

/**
 * The reaction path parameter may itself contain "/" (e.g. `y/n`, spec §6.4), so it is the
 * route's wildcard tail; the router hands it over percent-decoded.
 */
function reactionParam(value: string | string[]): string {
  return Array.isArray(value) ? value.join('/') : value;
}

/** Reactions (spec §6.4). */
@Controller('room/:token')
export class ReactionsController {
  constructor(private readonly messages: MessagesService) {}

  @Put('reaction/:msg_id/*')
  @UserRequired()
  @RoomPermission('read')
  add(@Req() req: FastifyRequest, @Param('msg_id') id: string, @Param('*') reaction: string | string[], @CurrentUser() user: AuthenticatedUser) {
    return this.messages.addReaction(req.room!, user, intPath(id), this.messages.validReaction(reactionParam(reaction)));
  }

  @Delete('reaction/:msg_id/*')
  @UserRequired()
  @RoomPermission('read')
  remove(@Req() req: FastifyRequest, @Param('msg_id') id: string, @Param('*') reaction: string | string[], @CurrentUser() user: AuthenticatedUser) {
    return this.messages.removeReaction(req.room!, user, intPath(id), this.messages.validReaction(reactionParam(reaction)));
  }

  @Delete('reactions/:msg_id/*')
  @UserRequired()
  @RoomPermission('moderator')
  clearOne(@Req() req: FastifyRequest, @Param('msg_id') id: string, @Param('*') reaction: string | string[]) {
    return this.messages.clearReactions(req.room!, intPath(id), this.messages.validReaction(reactionParam(reaction)));
  }

  @Delete('reactions/:msg_id')
  @UserRequired()
  @RoomPermission('moderator')
  clearAll(@Req() req: FastifyRequest, @Param('msg_id') id: string) {
    return this.messages.clearReactions(req.room!, intPath(id), undefined);
  }

  @Get('reactors/:msg_id/*')
  @RoomPermission('read')
  reactors(@Req() req: FastifyRequest, @Param('msg_id') id: string, @Param('*') reaction: string | string[], @Query('limit') limit: unknown) {
    return this.messages.reactors(req.room!, intPath(id), this.messages.validReaction(reactionParam(reaction)), optionalIntQuery(limit, 'limit'));
  }
}
