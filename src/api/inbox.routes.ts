import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { decodeBase64Strict } from '../crypto';
import { dmLimit, sinceId } from '../inbox/inbox-params';
import { InboxService } from '../inbox/inbox.service';
import { BLIND_SESSION_ID } from '../protocol/constants';
import { InnerReply, route, type InnerRoute, type RouteSource } from './route';
import { sessionIdParam } from './route-params';

const sendBody = z.object({ message: z.string({ error: "'message' (base64) is required" }) });

/** Blinded DMs (protocol §6.9): reading and deleting need a blinded (15) user, sending any user. */
@Injectable()
export class InboxRoutes implements RouteSource {
  constructor(
    private readonly inbox: InboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  routes(): InnerRoute[] {
    const list = (box: 'inbox' | 'outbox') =>
      route({ method: 'GET', path: `/${box}`, auth: 'blind-user', handle: ({ user, query }) => this.inbox.list(user, box, 0, dmLimit(query.limit, this.config)) });
    // The since-polls answer 304 with an empty body when nothing is new (protocol §6.9).
    const since = (box: 'inbox' | 'outbox') =>
      route({
        method: 'GET',
        path: `/${box}/since/:id`,
        auth: 'blind-user',
        handle: async ({ user, params, query }) => {
          const messages = await this.inbox.list(user, box, sinceId(params.id), dmLimit(query.limit, this.config));
          return messages.length > 0 ? messages : InnerReply.notModified();
        },
      });
    return [
      list('inbox'),
      since('inbox'),
      list('outbox'),
      since('outbox'),
      route({
        method: 'POST',
        path: '/inbox/:blinded_session_id',
        auth: 'user',
        params: { blinded_session_id: sessionIdParam(BLIND_SESSION_ID) },
        body: sendBody,
        status: 201,
        handle: ({ user, params, body }) => {
          const bytes = decodeBase64Strict(body.message);
          if (!bytes) throw new BadRequestException("'message' must be base64");
          return this.inbox.send(user, params.blinded_session_id, bytes);
        },
      }),
      route({ method: 'DELETE', path: '/inbox', auth: 'blind-user', handle: async ({ user }) => ({ deleted: await this.inbox.deleteInbox(user) }) }),
    ];
  }
}
