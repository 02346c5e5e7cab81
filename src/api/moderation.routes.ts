import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { ModerationService, parseScope } from '../moderation/moderation.service';
import { ANY_SESSION_ID } from '../protocol/constants';
import { route, type InnerRoute, type RouteSource } from './route';
import { sessionIdParam } from './route-params';

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

// 05 ids are accepted (not only 15): protocol §2.4 resolves them to known blinded users.
const target = { session_id: sessionIdParam(ANY_SESSION_ID) };

/**
 * Per-room permission overrides and scheduled changes, for room moderators (protocol §6.7);
 * moderators and bans (protocol §6.8).
 */
@Injectable()
export class ModerationRoutes implements RouteSource {
  constructor(private readonly moderation: ModerationService) {}

  routes(): InnerRoute[] {
    const mod = this.moderation;
    const moderator = { auth: 'user', room: 'moderator' } as const;
    return [
      route({ ...moderator, method: 'GET', path: '/room/:token/permissions', handle: ({ access }) => mod.roomPermissions(access.room) }),
      route({
        ...moderator,
        method: 'GET',
        path: '/room/:token/permissions/:session_id',
        params: target,
        handle: ({ access, params }) => mod.userPermissions(access.room, params.session_id),
      }),
      route({
        ...moderator,
        method: 'POST',
        path: '/room/:token/permissions/:session_id',
        params: target,
        body: permissionsBody,
        handle: ({ access, params, body, user }) => mod.setPermissions(access.room, params.session_id, body, user),
      }),
      route({ ...moderator, method: 'GET', path: '/room/:token/futurePermissions', handle: ({ access }) => mod.roomFutures(access.room) }),
      route({
        ...moderator,
        method: 'GET',
        path: '/room/:token/futurePermissions/:session_id',
        params: target,
        handle: ({ access, params }) => mod.userFuturesBySessionId(access.room, params.session_id),
      }),
      route({
        ...moderator,
        method: 'POST',
        path: '/room/:token/futurePermissions/:session_id',
        params: target,
        body: futureBody,
        handle: ({ access, params, body, user }) => mod.schedulePermissions(access.room, params.session_id, body, body.in, user),
      }),

      route({
        method: 'POST',
        path: '/user/:session_id/moderator',
        auth: 'user',
        params: target,
        body: moderatorBody,
        handle: async ({ params, body, user }) => ({ info_updates: (await mod.setModerator(params.session_id, parseScope(body), body, user)).info_updates }),
      }),
      route({
        method: 'POST',
        path: '/user/:session_id/ban',
        auth: 'user',
        params: target,
        body: banBody,
        handle: async ({ params, body, user }) => {
          await mod.ban(params.session_id, parseScope(body), body.timeout ?? null, user);
          return {};
        },
      }),
      route({
        method: 'POST',
        path: '/user/:session_id/unban',
        auth: 'user',
        params: target,
        body: unbanBody,
        handle: async ({ params, body, user }) => {
          await mod.unban(params.session_id, parseScope(body), user);
          return {};
        },
      }),
    ];
  }
}
