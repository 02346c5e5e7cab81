import { BadRequestException, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { BlindUserRequired, CurrentUser, UserRequired } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { JsonBody } from '../core/json-body';
import { decodeBase64Strict } from '../crypto';
import { BLIND_SESSION_ID } from '../protocol/constants';
import { SessionIdPipe } from '../users/session-id.pipe';
import { dmLimit, sinceId } from './inbox-params';
import { InboxService, type DirectMessageObject } from './inbox.service';

const sendBody = z.object({ message: z.string({ error: "'message' (base64) is required" }) });

/** spec §6.9 blinded DMs: reading and deleting require a blinded (15) user, sending any user. */
@Controller()
export class InboxController {
  constructor(
    private readonly inbox: InboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('inbox')
  @BlindUserRequired()
  getInbox(@CurrentUser() user: AuthenticatedUser, @Query('limit') limit?: string) {
    return this.inbox.list(user, 'inbox', 0, this.limit(limit));
  }

  @Get('inbox/since/:id')
  @BlindUserRequired()
  async pollInbox(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply, @Query('limit') limit?: string) {
    return this.notModifiedIfEmpty(reply, await this.inbox.list(user, 'inbox', sinceId(id), this.limit(limit)));
  }

  @Get('outbox')
  @BlindUserRequired()
  getOutbox(@CurrentUser() user: AuthenticatedUser, @Query('limit') limit?: string) {
    return this.inbox.list(user, 'outbox', 0, this.limit(limit));
  }

  @Get('outbox/since/:id')
  @BlindUserRequired()
  async pollOutbox(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply, @Query('limit') limit?: string) {
    return this.notModifiedIfEmpty(reply, await this.inbox.list(user, 'outbox', sinceId(id), this.limit(limit)));
  }

  @Post('inbox/:blinded_session_id')
  @UserRequired()
  @HttpCode(201)
  send(
    @CurrentUser() user: AuthenticatedUser,
    @Param('blinded_session_id', new SessionIdPipe(BLIND_SESSION_ID)) recipient: string,
    @JsonBody(sendBody) body: z.infer<typeof sendBody>,
  ) {
    const bytes = decodeBase64Strict(body.message);
    if (!bytes) throw new BadRequestException("'message' must be base64");
    return this.inbox.send(user, recipient, bytes);
  }

  @Delete('inbox')
  @BlindUserRequired()
  async deleteInbox(@CurrentUser() user: AuthenticatedUser) {
    return { deleted: await this.inbox.deleteInbox(user) };
  }

  private limit(raw: string | undefined): number {
    return dmLimit(raw, this.config);
  }

  /** The since-polls answer 304 with an empty body when nothing is new (spec §6.9). */
  private notModifiedIfEmpty(reply: FastifyReply, messages: DirectMessageObject[]): DirectMessageObject[] | string {
    if (messages.length > 0) return messages;
    reply.status(304);
    return '';
  }
}
