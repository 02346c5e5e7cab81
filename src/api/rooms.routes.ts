import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { intPath } from '../rooms/query-params';
import { RoomsService } from '../rooms/rooms.service';
import { route, type InnerRoute, type RouteSource } from './route';

const flag = z.boolean().nullish();
/** protocol §6.2 PUT /room/:token. */
const roomUpdateBody = z.object({
  name: z.string().nullish(),
  description: z.string().nullable().optional(),
  default_read: flag,
  default_accessible: flag,
  default_write: flag,
  default_upload: flag,
  // File ids are 32-bit columns: a larger number would overflow the query (a 500), so it is refused here.
  image: z.number().int().max(2_147_483_647, 'image must be a file id').nullish(),
});

/** Rooms, their poll info and pins (protocol §6.2, §6.5). */
@Injectable()
export class RoomsRoutes implements RouteSource {
  constructor(private readonly rooms: RoomsService) {}

  routes(): InnerRoute[] {
    return [
      route({ method: 'GET', path: '/rooms', handle: ({ user }) => this.rooms.listRooms(user) }),
      route({ method: 'GET', path: '/room/:token', room: 'accessible', handle: ({ access, user }) => this.rooms.roomObject(access.room, access.permissions, user) }),
      route({
        method: 'PUT',
        path: '/room/:token',
        auth: 'user',
        room: 'admin',
        body: roomUpdateBody,
        handle: ({ access, body, user }) => this.rooms.updateRoom(access.room, body, user),
      }),
      route({
        method: 'GET',
        path: '/room/:token/pollInfo/:info_updated',
        room: 'read',
        handle: ({ access, user, params }) => this.rooms.pollInfo(access.room, access.permissions, user, intPath(params.info_updated, { clamp: true })),
      }),
      // "auth optional in routing but require admin" (protocol §6.5): anonymous requesters get 403.
      route({
        method: 'POST',
        path: '/room/:token/pin/:msg_id',
        room: 'admin',
        anonymousForbidden: true,
        handle: ({ access, params, user }) => this.rooms.pin(access.room, intPath(params.msg_id), user),
      }),
      route({
        method: 'POST',
        path: '/room/:token/unpin/all',
        room: 'admin',
        anonymousForbidden: true,
        handle: ({ access, user }) => this.rooms.unpin(access.room, null, user ?? undefined),
      }),
      route({
        method: 'POST',
        path: '/room/:token/unpin/:msg_id',
        room: 'admin',
        anonymousForbidden: true,
        handle: async ({ access, params, user }) => {
          const { unpinned, info_updates } = await this.rooms.unpin(access.room, intPath(params.msg_id), user ?? undefined);
          return { unpinned: unpinned > 0, info_updates };
        },
      }),
    ];
  }
}
