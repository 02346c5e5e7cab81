import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { DirectAnswer, DirectRequest } from '../onion-gateway/direct-routes';
import { InternalDispatcher } from '../onion-gateway/internal-dispatcher';
import { dmLimit, sinceId } from './inbox-params';
import { InboxService } from './inbox.service';
import { isBlindedId } from '../users/session-id';

/**
 * The DM polls of a poll batch as direct routes (issue 7): InboxController.pollInbox/pollOutbox for
 * a blinded user (anyone else gets the full route's 401).
 */
@Injectable()
export class InboxDirectRoutes implements OnModuleInit {
  constructor(
    private readonly dispatcher: InternalDispatcher,
    private readonly inbox: InboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    for (const box of ['inbox', 'outbox'] as const) {
      this.dispatcher.registerDirect({
        scope: 'batch-read',
        method: 'GET',
        route: `/${box}/since/:id`,
        path: new RegExp(`^/${box}/since/(\\d+)$`),
        handle: (req) => this.since(box, req),
      });
    }
  }

  private async since(box: 'inbox' | 'outbox', req: DirectRequest): Promise<DirectAnswer> {
    const user = req.user;
    if (!user || !isBlindedId(user.sessionId)) return null;
    const messages = await this.inbox.list(user, box, sinceId(req.params[0]), dmLimit(req.query.limit, this.config));
    return messages.length > 0 ? { json: messages } : { notModified: true };
  }
}
