import { BadRequestException, Controller, Delete, Get, Inject, Param, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentUser, UserRequired } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { JsonBody } from '../core/json-body';
import { decodeBase64Strict } from '../crypto';
import { ANY_SESSION_ID } from '../protocol/constants';
import { SessionIdPipe } from '../users/session-id.pipe';
import { MessagesService, type ListOptions } from './messages.service';
import { intPath, listOptions, wantsReactions } from './query-params';
import { RoomPermission } from './room-permission.guard';

/** File ids may arrive as numbers or digit strings (session-desktop sends `["123"]`, spec §11). */
const fileIds = z
  .array(z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,10}$/, 'file ids must be integers').transform(Number)]))
  .nullish()
  .transform((ids) => (ids ?? []).filter((id) => id <= 2_147_483_647));

/** spec §6.3 POST …/message; unknown fields (e.g. desktop's `timestamp`) are ignored. */
const postBody = z.object({
  data: z.string({ error: "'data' (base64) is required" }),
  signature: z.string({ error: "'signature' (base64) is required" }),
  whisper_to: z.string().regex(ANY_SESSION_ID, 'whisper_to must be a session id').nullish(),
  whisper_mods: z.boolean().nullish(),
  files: fileIds,
});

/** spec §6.3 PUT …/message/:id (whisper fields cannot change, so they are ignored). */
const editBody = z.object({
  data: z.string({ error: "'data' (base64) is required" }),
  signature: z.string({ error: "'signature' (base64) is required" }),
  files: fileIds,
});

type Query = Record<string, unknown>;

/** spec §5: base64 (padding optional); the signature must be 64 bytes. */
function decodeMessage(body: { data: string; signature: string }, maxBytes: number): { data: Uint8Array; signature: Uint8Array } {
  const data = decodeBase64Strict(body.data);
  if (!data) throw new BadRequestException("'data' is not valid base64");
  if (data.length > maxBytes) throw new BadRequestException(`'data' is larger than ${maxBytes} bytes`);
  const signature = decodeBase64Strict(body.signature);
  if (!signature || signature.length !== 64) throw new BadRequestException("'signature' must be 64 bytes, base64 encoded");
  return { data, signature };
}

/** Messages of a room (spec §6.3, §7). */
@Controller()
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private listOptions(q: Query): ListOptions {
    return listOptions(q, this.config);
  }

  @Get('room/:token/messages/since/:seqno')
  @RoomPermission('read')
  since(@Req() req: FastifyRequest, @Param('seqno') seqno: string, @Query() q: Query, @CurrentUser() user: AuthenticatedUser | null) {
    return this.messages.since(req.room!, req.roomPermissions!, user, intPath(seqno, { clamp: true }), wantsReactions(q), this.listOptions(q));
  }

  @Get('room/:token/messages/recent')
  @RoomPermission('read')
  recent(@Req() req: FastifyRequest, @Query() q: Query, @CurrentUser() user: AuthenticatedUser | null) {
    return this.messages.recent(req.room!, req.roomPermissions!, user, null, this.listOptions(q));
  }

  @Get('room/:token/messages/before/:msg_id')
  @RoomPermission('read')
  before(@Req() req: FastifyRequest, @Param('msg_id') id: string, @Query() q: Query, @CurrentUser() user: AuthenticatedUser | null) {
    return this.messages.recent(req.room!, req.roomPermissions!, user, intPath(id, { clamp: true }), this.listOptions(q));
  }

  @Get('room/:token/message/:msg_id')
  @RoomPermission('read')
  single(@Req() req: FastifyRequest, @Param('msg_id') id: string, @Query() q: Query, @CurrentUser() user: AuthenticatedUser | null) {
    return this.messages.single(req.room!, req.roomPermissions!, user, intPath(id), this.listOptions(q).reactors);
  }

  @Post('room/:token/message')
  @UserRequired()
  @RoomPermission('write')
  post(@Req() req: FastifyRequest, @JsonBody(postBody) body: z.infer<typeof postBody>, @CurrentUser() user: AuthenticatedUser) {
    const { data, signature } = decodeMessage(body, this.config.MESSAGE_MAX_BYTES);
    return this.messages.post(req.room!, req.roomPermissions!, user, {
      data,
      signature,
      whisperTo: body.whisper_to ?? null,
      whisperMods: body.whisper_mods ?? false,
      files: body.files,
    });
  }

  @Put('room/:token/message/:msg_id')
  @UserRequired()
  @RoomPermission('write')
  async edit(@Req() req: FastifyRequest, @Param('msg_id') id: string, @JsonBody(editBody) body: z.infer<typeof editBody>, @CurrentUser() user: AuthenticatedUser) {
    const { data, signature } = decodeMessage(body, this.config.MESSAGE_MAX_BYTES);
    await this.messages.edit(req.room!, user, intPath(id), { data, signature, files: body.files });
    return {};
  }

  @Delete('room/:token/message/:msg_id')
  @UserRequired()
  @RoomPermission('write')
  async remove(@Req() req: FastifyRequest, @Param('msg_id') id: string, @CurrentUser() user: AuthenticatedUser) {
    await this.messages.remove(req.room!, req.roomPermissions!, user, intPath(id));
    return {};
  }

  @Delete('room/:token/all/:session_id')
  @UserRequired()
  @RoomPermission('accessible')
  async deleteAll(@Req() req: FastifyRequest, @Param('session_id', new SessionIdPipe(ANY_SESSION_ID)) sessionId: string, @CurrentUser() user: AuthenticatedUser) {
    await this.messages.deleteAllInRoom(req.room!, req.roomPermissions!, user, sessionId);
    return {};
  }

  @Delete('rooms/all/:session_id')
  @UserRequired()
  deleteAllEverywhere(@Param('session_id', new SessionIdPipe(ANY_SESSION_ID)) sessionId: string, @CurrentUser() user: AuthenticatedUser) {
    return this.messages.deleteAllEverywhere(user, sessionId);
  }
}
