import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { FilesService, type RoomFileDownload } from '../files/files.service';
import { hasPermission } from '../rooms/permissions';
import { sessionText } from '../rooms/message-filter';
import { MessagesService } from '../rooms/messages.service';
import { RoomsService } from '../rooms/rooms.service';
import { joinUrl } from './join-url';
import type { WebMessage, WebRoom } from './views';

/** How many recent messages a room page shows when WEB_SHOW_RECENT is on. */
const RECENT_MESSAGES = 20;

export interface WebRoomPage {
  room: WebRoom;
  joinUrl: string;
  /** null when recent messages are not shown (off by default, or the room is not publicly readable). */
  messages: WebMessage[] | null;
}

/**
 * What the public page may show (protocol §6.10): exactly what an anonymous client could read through
 * the API, so the RoomsService and MessagesService rules decide, never this module.
 */
@Injectable()
export class WebService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    private readonly rooms: RoomsService,
    private readonly files: FilesService,
    private readonly messages: MessagesService,
  ) {}

  get showIndex(): boolean {
    return this.config.WEB_SHOW_INDEX;
  }

  joinUrl(token: string): string {
    return joinUrl(this.config, token, this.serverKey.publicKeyHex);
  }

  /** Rooms an anonymous visitor can access, as GET /rooms lists them. */
  async publicRooms(): Promise<WebRoom[]> {
    const rooms = await this.rooms.listRooms(null);
    return rooms.map((r) => ({
      token: String(r.token),
      name: String(r.name),
      description: typeof r.description === 'string' ? r.description : null,
      activeUsers: Number(r.active_users ?? 0),
      hasImage: typeof r.image_id === 'number',
    }));
  }

  /** The room page's content; null when the room is unknown or not accessible anonymously (→ 404). */
  async roomPage(token: string): Promise<WebRoomPage | null> {
    const access = await this.rooms.access(token, null);
    if (!access || !hasPermission(access.permissions, 'accessible')) return null;
    const { room, permissions } = access;
    let messages: WebMessage[] | null = null;
    if (this.config.WEB_SHOW_RECENT && hasPermission(permissions, 'read')) {
      const recent = await this.messages.recent(room, permissions, null, null, { limit: RECENT_MESSAGES, reactors: 0 });
      messages = recent
        .filter((m) => m.data !== null)
        .map((m) => ({ posted: m.posted, text: sessionText(Buffer.from(m.data!, 'base64')).body }))
        .filter((m) => m.text !== '');
    }
    return {
      room: { token: room.token, name: room.name, description: room.description, activeUsers: room.activeUsers, hasImage: room.imageId !== null },
      joinUrl: this.joinUrl(room.token),
      messages,
    };
  }

  /** The room image, for visitors who could download it through the API (read permission, protocol §6.6). */
  async roomImage(token: string): Promise<RoomFileDownload | null> {
    const access = await this.rooms.access(token, null);
    if (!access || access.room.imageId === null || !hasPermission(access.permissions, 'read')) return null;
    return this.files.download(access.room.id, access.room.imageId);
  }
}
