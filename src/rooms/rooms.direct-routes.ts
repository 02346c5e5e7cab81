import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { DirectAnswer, DirectRequest } from '../onion-gateway/direct-routes';
import { InternalDispatcher } from '../onion-gateway/internal-dispatcher';
import { MessagesService } from './messages.service';
import { hasPermission } from './permissions';
import { intPath, listOptions, wantsReactions } from './query-params';
import { RoomsService, type RoomAccess } from './rooms.service';

/**
 * The room reads of a poll batch as direct routes (issue 7): the same services as
 * RoomsController.pollInfo and MessagesController.since behind @RoomPermission('read').
 */
@Injectable()
export class RoomsDirectRoutes implements OnModuleInit {
  constructor(
    private readonly dispatcher: InternalDispatcher,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.dispatcher.registerDirect({
      scope: 'batch-read',
      method: 'GET',
      route: '/room/:token/pollInfo/:info_updated',
      path: /^\/room\/([A-Za-z0-9_-]+)\/pollInfo\/(\d+)$/,
      handle: (req) => this.pollInfo(req),
    });
    this.dispatcher.registerDirect({
      scope: 'batch-read',
      method: 'GET',
      route: '/room/:token/messages/since/:seqno',
      path: /^\/room\/([A-Za-z0-9_-]+)\/messages\/since\/(\d+)$/,
      handle: (req) => this.since(req),
    });
  }

  /** The room when the user may read it; null sends the request to the guard for its error. */
  private async readable(req: DirectRequest): Promise<RoomAccess | null> {
    const access = await this.rooms.access(req.params[0], req.user, req.context.batchReads);
    return access && hasPermission(access.permissions, 'read') ? access : null;
  }

  private async pollInfo(req: DirectRequest): Promise<DirectAnswer> {
    const access = await this.readable(req);
    if (!access) return null;
    return { json: await this.rooms.pollInfo(access.room, access.permissions, req.user, intPath(req.params[1], { clamp: true })) };
  }

  private async since(req: DirectRequest): Promise<DirectAnswer> {
    const access = await this.readable(req);
    if (!access) return null;
    const after = intPath(req.params[1], { clamp: true });
    return { json: await this.messages.since(access.room, access.permissions, req.user, after, wantsReactions(req.query), listOptions(req.query, this.config)) };
  }
}
