import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { decodeBase64Strict } from '../crypto';
import { MessagesService } from '../rooms/messages.service';
import { intPath, listOptions, optionalIntQuery, wantsReactions } from '../rooms/query-params';
import { ANY_SESSION_ID } from '../protocol/constants';
import { route, type InnerRoute, type RouteSource } from './route';
import { sessionIdParam } from './route-params';

/** File ids may arrive as numbers or digit strings (session-desktop sends `["123"]`, protocol §11). */
const fileIds = z
  .array(
    z.union([
      z.number().int().nonnegative(),
      z
        .string()
        .regex(/^\d{1,10}$/, 'file ids must be integers')
        .transform(Number),
    ]),
  )
  .nullish()
  .transform((ids) => (ids ?? []).filter((id) => id <= 2_147_483_647));

/** protocol §6.3 POST …/message; unknown fields (e.g. desktop's `timestamp`) are ignored. */
const postBody = z.object({
  data: z.string({ error: "'data' (base64) is required" }),
  signature: z.string({ error: "'signature' (base64) is required" }),
  whisper_to: z.string().regex(ANY_SESSION_ID, 'whisper_to must be a session id').nullish(),
  whisper_mods: z.boolean().nullish(),
  files: fileIds,
});

/** protocol §6.3 PUT …/message/:id (whisper fields cannot change, so they are ignored). */
const editBody = z.object({
  data: z.string({ error: "'data' (base64) is required" }),
  signature: z.string({ error: "'signature' (base64) is required" }),
  files: fileIds,
});

/** protocol §5: base64 (padding optional); the signature must be 64 bytes. */
function decodeMessage(body: { data: string; signature: string }, maxBytes: number): { data: Uint8Array; signature: Uint8Array } {
  const data = decodeBase64Strict(body.data);
  if (!data) throw new BadRequestException("'data' is not valid base64");
  if (data.length > maxBytes) throw new BadRequestException(`'data' is larger than ${maxBytes} bytes`);
  const signature = decodeBase64Strict(body.signature);
  if (!signature || signature.length !== 64) throw new BadRequestException("'signature' must be 64 bytes, base64 encoded");
  return { data, signature };
}

/** The reaction path parameter may itself contain "/" (e.g. `y/n`, protocol §6.4), so it is the route's wildcard tail. */
const REACTION = '*';

/** Messages of a room and their reactions (protocol §6.3, §6.4, §7). */
@Injectable()
export class MessagesRoutes implements RouteSource {
  constructor(
    private readonly messages: MessagesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  routes(): InnerRoute[] {
    const m = this.messages;
    const sessionId = { session_id: sessionIdParam(ANY_SESSION_ID) };
    return [
      route({
        method: 'GET',
        path: '/room/:token/messages/since/:seqno',
        room: 'read',
        handle: ({ access, user, params, query }) =>
          m.since(access.room, access.permissions, user, intPath(params.seqno, { clamp: true }), wantsReactions(query), listOptions(query, this.config)),
      }),
      route({
        method: 'GET',
        path: '/room/:token/messages/recent',
        room: 'read',
        handle: ({ access, user, query }) => m.recent(access.room, access.permissions, user, null, listOptions(query, this.config)),
      }),
      route({
        method: 'GET',
        path: '/room/:token/messages/before/:msg_id',
        room: 'read',
        handle: ({ access, user, params, query }) => m.recent(access.room, access.permissions, user, intPath(params.msg_id, { clamp: true }), listOptions(query, this.config)),
      }),
      route({
        method: 'GET',
        path: '/room/:token/message/:msg_id',
        room: 'read',
        handle: ({ access, user, params, query }) => m.single(access.room, access.permissions, user, intPath(params.msg_id), listOptions(query, this.config).reactors),
      }),
      route({
        method: 'POST',
        path: '/room/:token/message',
        auth: 'user',
        room: 'write',
        body: postBody,
        status: 201,
        handle: ({ access, user, body }) => {
          const { data, signature } = decodeMessage(body, this.config.MESSAGE_MAX_BYTES);
          return m.post(access.room, access.permissions, user, { data, signature, whisperTo: body.whisper_to ?? null, whisperMods: body.whisper_mods ?? false, files: body.files });
        },
      }),
      route({
        method: 'PUT',
        path: '/room/:token/message/:msg_id',
        auth: 'user',
        room: 'write',
        body: editBody,
        handle: async ({ access, user, params, body }) => {
          const { data, signature } = decodeMessage(body, this.config.MESSAGE_MAX_BYTES);
          await m.edit(access.room, user, intPath(params.msg_id), { data, signature, files: body.files });
          return {};
        },
      }),
      route({
        method: 'DELETE',
        path: '/room/:token/message/:msg_id',
        auth: 'user',
        room: 'write',
        handle: async ({ access, user, params }) => {
          await m.remove(access.room, access.permissions, user, intPath(params.msg_id));
          return {};
        },
      }),
      route({
        method: 'DELETE',
        path: '/room/:token/all/:session_id',
        auth: 'user',
        room: 'accessible',
        params: sessionId,
        handle: async ({ access, user, params }) => {
          await m.deleteAllInRoom(access.room, access.permissions, user, params.session_id);
          return {};
        },
      }),
      route({ method: 'DELETE', path: '/rooms/all/:session_id', auth: 'user', params: sessionId, handle: ({ user, params }) => m.deleteAllEverywhere(user, params.session_id) }),

      route({
        method: 'PUT',
        path: `/room/:token/reaction/:msg_id/${REACTION}`,
        auth: 'user',
        // A report (the room's report emoji) needs only read, also during a lockdown; addReaction asks 'react' of any other.
        room: 'read',
        handle: ({ access, user, params }) => m.addReaction(access.room, access.permissions, user, intPath(params.msg_id), m.validReaction(params[REACTION])),
      }),
      route({
        method: 'DELETE',
        path: `/room/:token/reaction/:msg_id/${REACTION}`,
        auth: 'user',
        room: 'read',
        handle: ({ access, user, params }) => m.removeReaction(access.room, access.permissions, user, intPath(params.msg_id), m.validReaction(params[REACTION])),
      }),
      route({
        method: 'DELETE',
        path: `/room/:token/reactions/:msg_id/${REACTION}`,
        auth: 'user',
        room: 'moderator',
        handle: ({ access, params, user }) => m.clearReactions(access.room, intPath(params.msg_id), m.validReaction(params[REACTION]), user),
      }),
      route({
        method: 'DELETE',
        path: '/room/:token/reactions/:msg_id',
        auth: 'user',
        room: 'moderator',
        handle: ({ access, params, user }) => m.clearReactions(access.room, intPath(params.msg_id), undefined, user),
      }),
      route({
        method: 'GET',
        path: `/room/:token/reactors/:msg_id/${REACTION}`,
        room: 'read',
        handle: ({ access, user, params, query }) =>
          m.reactors(access.room, access.permissions, user, intPath(params.msg_id), m.validReaction(params[REACTION]), optionalIntQuery(query.limit, 'limit')),
      }),
    ];
  }
}
