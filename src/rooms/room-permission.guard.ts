import {
  applyDecorators,
  ForbiddenException,
  Injectable,
  NotFoundException,
  SetMetadata,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTH_REQUIRED_MESSAGE } from '../auth/auth.decorators';
import type { Room } from '../generated/prisma/client';
import { hasPermission, type PermissionNeed, type RoomPermissions } from './permissions';
import { RoomsService } from './rooms.service';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by @RoomPermission: the room named by the `:token` path parameter. */
    room?: Room;
    /** Set by @RoomPermission: the requester's effective permissions in `room` (spec §3.5). */
    roomPermissions?: RoomPermissions;
  }
}

const ROOM_PERMISSION = 'sogs:room-permission';

export interface RoomPermissionOptions {
  /**
   * Anonymous requesters get 403 instead of the 401 of spec §3.4 (the pin routes: "auth optional
   * in routing but require admin", spec §6.5).
   */
  anonymousForbidden?: boolean;
}

interface RoomPermissionMeta extends RoomPermissionOptions {
  need: PermissionNeed;
}

/** spec §3.4 texts. */
const DENIED: Record<PermissionNeed, string> = {
  accessible: '',
  read: "This endpoint requires room message 'read' permission",
  write: "This endpoint requires room message 'write' permission",
  upload: "This endpoint requires room file 'upload' permission",
  moderator: 'This endpoint requires moderator room permissions',
  admin: 'This endpoint requires admin room permissions',
};

/**
 * Loads the room of the route's `:token` (case-insensitive; unknown → 404), computes the
 * requester's permissions and requires `need` with the statuses of spec §3.4: accessible → 404
 * with an empty body; read/write/upload → 403; moderator/admin → 401 when anonymous, else 403.
 * Sets `req.room` and `req.roomPermissions`. A module using it imports RoomsModule.
 */
export const RoomPermission = (need: PermissionNeed, options: RoomPermissionOptions = {}): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(ROOM_PERMISSION, { need, ...options } satisfies RoomPermissionMeta), UseGuards(RoomPermissionGuard));

@Injectable()
export class RoomPermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly rooms: RoomsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const meta = this.reflector.getAllAndOverride<RoomPermissionMeta | undefined>(ROOM_PERMISSION, [context.getHandler(), context.getClass()]);
    if (!meta) return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const token = (req.params as Record<string, string | undefined>).token ?? '';
    const user = req.sogsUser ?? null;
    const access = await this.rooms.access(token, user, req.method === 'GET' ? req.sogsDispatch?.batchReads : undefined);
    if (!access) throw new NotFoundException();
    const { room, permissions: perms } = access;
    req.room = room;
    req.roomPermissions = perms;
    if (hasPermission(perms, meta.need)) return true;
    switch (meta.need) {
      case 'accessible':
        throw new NotFoundException();
      case 'moderator':
      case 'admin':
        if (!user && !meta.anonymousForbidden) throw new UnauthorizedException(AUTH_REQUIRED_MESSAGE);
        throw new ForbiddenException(DENIED[meta.need]);
      default:
        throw new ForbiddenException(DENIED[meta.need]);
    }
  }

}
