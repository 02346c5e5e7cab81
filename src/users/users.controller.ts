import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { CurrentUser, UserRequired } from '../auth/auth.decorators';
import type { AuthenticatedUser } from './authenticated-user';
import { JsonBody } from '../core/json-body';
import { ModerationService, parseScope } from '../moderation/moderation.service';
import { ANY_SESSION_ID } from '../protocol/constants';
import { SessionIdPipe } from './session-id.pipe';

const scopeFields = {
  rooms: z.array(z.string()).nullish(),
  global: z.boolean().nullish(),
};
const moderatorBody = z.object({
  ...scopeFields,
  moderator: z.boolean().nullish(),
  admin: z.boolean().nullish(),
  visible: z.boolean().nullish(),
});
const banBody = z.object({ ...scopeFields, timeout: z.number().nullish() });
const unbanBody = z.object(scopeFields);

/** spec §6.8: moderators and bans. 05 targets resolve to known blinded users (spec §2.4). */
@Controller('user/:session_id')
@UserRequired()
export class UsersController {
  constructor(private readonly moderation: ModerationService) {}

  @Post('moderator')
  @HttpCode(200)
  setModerator(
    @Param('session_id', new SessionIdPipe(ANY_SESSION_ID)) sessionId: string,
    @JsonBody(moderatorBody) body: z.infer<typeof moderatorBody>,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.moderation.setModerator(sessionId, parseScope(body), body, user);
  }

  @Post('ban')
  @HttpCode(200)
  async ban(
    @Param('session_id', new SessionIdPipe(ANY_SESSION_ID)) sessionId: string,
    @JsonBody(banBody) body: z.infer<typeof banBody>,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    await this.moderation.ban(sessionId, parseScope(body), body.timeout ?? null, user);
    return {};
  }

  @Post('unban')
  @HttpCode(200)
  async unban(
    @Param('session_id', new SessionIdPipe(ANY_SESSION_ID)) sessionId: string,
    @JsonBody(unbanBody) body: z.infer<typeof unbanBody>,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    await this.moderation.unban(sessionId, parseScope(body), user);
    return {};
  }
}
