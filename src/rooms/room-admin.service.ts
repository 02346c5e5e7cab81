import { Inject, Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { Clock } from '../core/clock';
import { FilesService } from '../files/files.service';
import { imageType } from '../files/image-type';
import type { Room } from '../generated/prisma/client';
import { UsersService } from '../users/users.service';
import { joinUrl } from '../web/join-url';
import type { RoomStats } from './rooms.repository';
import { RoomsService } from './rooms.service';

/** A room as its operator sees it (CLI `rooms list --json`, the console's Rooms view). */
export interface RoomListing {
  token: string;
  name: string;
  description: string | null;
  join_url: string;
  messages: number;
  message_bytes: number;
  deleted_messages: number;
  files: number;
  file_bytes: number;
  active_users: RoomStats['active'];
  active_users_cached: number;
  default_permissions: { read: boolean; accessible: boolean; write: boolean; upload: boolean };
  admins: string[];
  moderators: string[];
  hidden_admins: string[];
  hidden_moderators: string[];
  image_id: number | null;
  info_updates: number;
  message_sequence: number;
}

/**
 * What an operator does to rooms outside the protocol's own routes, for the CLI and the console
 * alike: the listing with hidden moderators and figures, the room image from a file (checked to be
 * an image), and deletions whose files go at once instead of at the next sweep.
 */
@Injectable()
export class RoomAdminService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    private readonly rooms: RoomsService,
    private readonly files: FilesService,
    private readonly users: UsersService,
    private readonly clock: Clock,
  ) {}

  joinUrl(token: string): string {
    return joinUrl(this.config, token, this.serverKey.publicKeyHex);
  }

  async listing(room: Room): Promise<RoomListing> {
    // Seen as the system user (a global admin) so hidden moderators are listed too.
    const system = await this.users.getSystemUser();
    const object = await this.rooms.roomObject(room, await this.rooms.permissionsFor(room, system), system);
    const stats = await this.rooms.roomStats(room, this.clock.seconds());
    const list = (key: string) => (Array.isArray(object[key]) ? (object[key] as string[]) : []);
    return {
      token: room.token,
      name: room.name,
      description: room.description,
      join_url: this.joinUrl(room.token),
      messages: stats.messages,
      message_bytes: stats.messageBytes,
      deleted_messages: stats.deleted,
      files: stats.files,
      file_bytes: stats.fileBytes,
      active_users: stats.active,
      active_users_cached: room.activeUsers,
      default_permissions: { read: room.read, accessible: room.accessible, write: room.write, upload: room.upload },
      admins: list('admins'),
      moderators: list('moderators'),
      hidden_admins: list('hidden_admins'),
      hidden_moderators: list('hidden_moderators'),
      image_id: room.imageId,
      info_updates: room.infoUpdates,
      message_sequence: room.messageSequence,
    };
  }

  /** Uploads `body` as the room's image (replacing the previous one); anything but PNG, JPEG, GIF or WebP is refused (415). */
  async setImage(room: Room, body: Buffer, filename: string): Promise<{ file_id: number; info_updates: number }> {
    if (!imageType(body)) throw new UnsupportedMediaTypeException('A room image must be a PNG, JPEG, GIF or WebP image');
    const system = await this.users.getSystemUser();
    const name = filename.replace(/["\\\r\n]/g, '_');
    const id = await this.files.upload(room, system, body, `attachment; filename="${name}"`);
    const { info_updates } = await this.rooms.updateRoom(room, { image: id });
    return { file_id: id, info_updates };
  }

  /** Deletes the room; its files are due now (protocol §9.3), so they are deleted rather than left to the next sweep. */
  async deleteRoom(room: Room): Promise<void> {
    await this.rooms.deleteRoom(room);
    await this.files.sweep();
  }

  /** Deletes room files by id: expired now (downloads 404 at once), then swept. Returns how many were live. */
  async deleteFiles(ids: number[]): Promise<number> {
    const expired = await this.rooms.deleteRoomFiles(ids, this.clock.seconds());
    await this.files.sweep();
    return expired;
  }
}
