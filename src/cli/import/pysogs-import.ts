import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { PrismaService } from '../../database/prisma.service';
import type { FilesService } from '../../files/files.service';
import type { InboxService } from '../../inbox/inbox.service';
import type { ModerationService } from '../../moderation/moderation.service';
import type { ImportedMessage } from '../../rooms/rooms.repository';
import type { RoomsService } from '../../rooms/rooms.service';
import type { UsersService } from '../../users/users.service';
import type { PysogsSource, Row } from './pysogs-source';
import { bool, bytes, nullableBool, nullableNum, num, repad, text } from './pysogs-values';
import { SESSION_ID_PREFIX } from '../../protocol/constants';
import { SYSTEM_USER_ID } from '../../users/system-user';

const PAGE = 1000;

/** Tables whose rows the import writes with the source's ids. */
const IMPORTED_TABLES = ['users', 'rooms', 'messages', 'message_history', 'files', 'reactions', 'user_permission_futures', 'user_ban_futures', 'inbox'] as const;

/** The services the import writes through: each table is written by the module that owns it. */
export interface ImportTargets {
  users: UsersService;
  rooms: RoomsService;
  moderation: ModerationService;
  inbox: InboxService;
  files: FilesService;
  prisma: PrismaService;
}

export interface ImportOptions {
  /** Where pysogs kept uploads (its `[files] uploads_dir`); file paths in the DB are tried against it. */
  uploadsDir?: string;
  /** Directory the DB's relative file paths are relative to (pysogs' working directory). */
  baseDir?: string;
  progress: (line: string) => void;
}

/** Rows the source has and how many of them were new here (a re-run finds none). */
export interface ImportCount {
  read: number;
  inserted: number;
}

export interface ImportSummary {
  rooms: ImportCount;
  users: ImportCount;
  messages: { read: number; inserted: number };
  files: { read: number; imported: number; missing: number; expired: number };
  reactions: number;
  pins: number;
  permissions: number;
}

/**
 * `import pysogs` (issue 5): copies a pysogs database into this server keeping room tokens,
 * message ids, seqnos and file ids, so clients keep polling where they were (protocol §7.1). Users and
 * rooms are matched by session id and token; every write is insert-if-absent, so a second run
 * imports nothing twice. File bytes are re-stored encrypted through the files module.
 */
export class PysogsImporter {
  private readonly users = new Map<number, number>();
  private readonly rooms = new Map<number, { id: number; token: string }>();

  constructor(
    private readonly source: PysogsSource,
    private readonly into: ImportTargets,
    private readonly options: ImportOptions,
  ) {}

  async run(): Promise<ImportSummary> {
    for (const table of ['rooms', 'users', 'messages']) {
      if (!(await this.source.hasTable(table))) throw new Error(`not a pysogs database: table '${table}' is missing`);
    }
    const summary: ImportSummary = {
      rooms: { read: 0, inserted: 0 },
      users: { read: 0, inserted: 0 },
      messages: { read: 0, inserted: 0 },
      files: { read: 0, imported: 0, missing: 0, expired: 0 },
      reactions: 0,
      pins: 0,
      permissions: 0,
    };
    summary.users = await this.importUsers();
    summary.rooms = await this.importRooms();
    summary.messages = await this.importMessages();
    await this.importHistory();
    summary.reactions = await this.importReactions();
    summary.pins = await this.each('pinned_messages', 'room, message', async (r) =>
      this.into.rooms.importPin(this.room(r.room), num(r.message), this.user(r.pinned_by), num(r.pinned_at)),
    );
    summary.permissions = await this.importPermissions();
    summary.files = await this.importFiles();
    await this.into.prisma.resetIdSequences(IMPORTED_TABLES);
    this.options.progress('sequences: moved past the imported ids');
    return summary;
  }

  private user(pysogsId: unknown): number {
    const id = this.users.get(num(pysogsId));
    if (id === undefined) throw new Error(`row refers to unknown pysogs user ${String(pysogsId)}`);
    return id;
  }

  private room(pysogsId: unknown): number {
    const room = this.rooms.get(num(pysogsId));
    if (!room) throw new Error(`row refers to unknown pysogs room ${String(pysogsId)}`);
    return room.id;
  }

  /** Runs `insert` for every row of an optional table, with progress; returns rows inserted. */
  private async each(table: string, orderBy: string, insert: (row: Row) => Promise<number>): Promise<number> {
    if (!(await this.source.hasTable(table))) return 0;
    const total = await this.source.count(table);
    let done = 0;
    let inserted = 0;
    for await (const page of this.source.pages(table, orderBy, PAGE)) {
      for (const row of page) inserted += await insert(row);
      done += page.length;
      this.options.progress(`${table}: ${done}/${total}`);
    }
    return inserted;
  }

  private async importUsers(): Promise<ImportCount> {
    let read = 0;
    const inserted = await this.each('users', 'id', async (u) => {
      const sessionId = String(u.session_id).toLowerCase();
      // System-user ids ("ff" + a server key, protocol §2.1) map to this server's own system user.
      if (sessionId.startsWith(SESSION_ID_PREFIX.system)) {
        this.users.set(num(u.id), SYSTEM_USER_ID);
        return 0;
      }
      read++;
      const { id, inserted } = await this.into.users.importUser({
        sessionId,
        created: num(u.created),
        lastActive: num(u.last_active),
        banned: bool(u.banned),
        moderator: bool(u.moderator) || bool(u.admin),
        admin: bool(u.admin),
        visibleMod: bool(u.visible_mod),
      });
      this.users.set(num(u.id), id);
      return inserted ? 1 : 0;
    });
    return { read, inserted };
  }

  private async importRooms(): Promise<ImportCount> {
    let read = 0;
    const inserted = await this.each('rooms', 'id', async (r) => {
      const token = String(r.token);
      read++;
      const { id, inserted } = await this.into.rooms.importRoom({
        token,
        name: text(r.name) ?? token,
        description: text(r.description),
        created: num(r.created),
        messageSequence: num(r.message_sequence),
        infoUpdates: num(r.info_updates),
        activeUsers: num(r.active_users ?? 0),
        read: bool(r.read),
        accessible: bool(r.accessible),
        write: bool(r.write),
        upload: bool(r.upload),
      });
      this.rooms.set(num(r.id), { id, token });
      return inserted ? 1 : 0;
    });
    return { read, inserted };
  }

  private async importMessages(): Promise<{ read: number; inserted: number }> {
    const total = await this.source.count('messages');
    let read = 0;
    let inserted = 0;
    for await (const page of this.source.pages('messages', 'id', PAGE)) {
      const batch: ImportedMessage[] = page.map((m) => {
        const data = bytes(m.data);
        return {
          id: num(m.id),
          roomId: this.room(m.room),
          userId: this.user(m.user),
          posted: num(m.posted),
          edited: nullableNum(m.edited),
          seqno: num(m.seqno),
          seqnoData: num(m.seqno_data ?? m.seqno),
          seqnoReactions: num(m.seqno_reactions ?? 0),
          seqnoCreation: num(m.seqno_creation ?? m.seqno),
          data: data && repad(data, nullableNum(m.data_size)),
          signature: bytes(m.signature),
          filtered: bool(m.filtered),
          whisperToId: m.whisper === null || m.whisper === undefined ? null : this.user(m.whisper),
          whisperMods: bool(m.whisper_mods),
        };
      });
      inserted += await this.into.rooms.importMessages(batch);
      read += page.length;
      this.options.progress(`messages: ${read}/${total}`);
    }
    return { read, inserted };
  }

  private async importHistory(): Promise<number> {
    if (!(await this.source.hasTable('message_history'))) return 0;
    let inserted = 0;
    for await (const page of this.source.pages('message_history', 'message, replaced', PAGE)) {
      inserted += await this.into.rooms.importHistory(
        page.map((h) => {
          const data = bytes(h.data);
          return { messageId: num(h.message), replaced: num(h.replaced), data: data && repad(data, nullableNum(h.data_size)), signature: bytes(h.signature) };
        }),
      );
      this.options.progress(`message_history: ${inserted} imported`);
    }
    return inserted;
  }

  private async importReactions(): Promise<number> {
    if (!(await this.source.hasTable('reactions'))) return 0;
    const reactions = new Map<number, number>();
    await this.each('reactions', 'id', async (r) => {
      reactions.set(num(r.id), await this.into.rooms.importReaction(num(r.message), String(r.reaction)));
      return 1;
    });
    return this.each('user_reactions', 'reaction, "user"', async (ur) => {
      const reaction = reactions.get(num(ur.reaction));
      if (reaction === undefined) return 0;
      return this.into.rooms.importUserReaction(reaction, this.user(ur.user), num(ur.at));
    });
  }

  private async importPermissions(): Promise<number> {
    let n = await this.each('user_permission_overrides', 'room, "user"', async (o) =>
      this.into.moderation.importOverride({
        roomId: this.room(o.room),
        userId: this.user(o.user),
        banned: bool(o.banned),
        read: nullableBool(o.read),
        accessible: nullableBool(o.accessible),
        write: nullableBool(o.write),
        upload: nullableBool(o.upload),
        moderator: bool(o.moderator) || bool(o.admin),
        admin: bool(o.admin),
        visibleMod: o.visible_mod === undefined ? true : bool(o.visible_mod),
      }),
    );
    n += await this.each('user_permission_futures', 'at', async (f) =>
      this.into.moderation.importPermissionFuture({
        roomId: this.room(f.room),
        userId: this.user(f.user),
        at: num(f.at),
        read: nullableBool(f.read),
        write: nullableBool(f.write),
        upload: nullableBool(f.upload),
      }),
    );
    n += await this.each('user_ban_futures', 'at', async (f) =>
      this.into.moderation.importBanFuture({ roomId: f.room === null ? null : this.room(f.room), userId: this.user(f.user), at: num(f.at), banned: bool(f.banned) }),
    );
    await this.each('room_users', 'room, "user"', async (ru) => this.into.rooms.importRoomActivity(this.room(ru.room), this.user(ru.user), num(ru.last_active)));
    await this.each('needs_blinding', 'blinded_abs', async (nb) => this.into.users.importNeedsBlinding(String(nb.blinded_abs), this.user(nb.user)));
    await this.each('inbox', 'id', async (m) =>
      this.into.inbox.importMessage({
        recipientId: this.user(m.recipient),
        senderId: this.user(m.sender),
        body: bytes(m.body)!,
        postedAt: num(m.posted_at),
        expiry: num(m.expiry),
      }),
    );
    return n;
  }

  /** Where pysogs left a file's bytes: its recorded path, or the same name under the uploads dir. */
  private locate(path: string): string | null {
    const candidates = isAbsolute(path) ? [path] : [];
    if (this.options.baseDir) candidates.push(join(this.options.baseDir, path));
    if (this.options.uploadsDir) candidates.push(join(this.options.uploadsDir, basename(dirname(path)), basename(path)), join(this.options.uploadsDir, basename(path)));
    return candidates.find((c) => existsSync(c)) ?? null;
  }

  private async importFiles(): Promise<ImportSummary['files']> {
    const result = { read: 0, imported: 0, missing: 0, expired: 0 };
    const images = new Map<number, number>();
    if (await this.source.hasTable('rooms')) {
      for await (const page of this.source.pages('rooms', 'id', PAGE)) {
        for (const r of page) if (r.image !== null && r.image !== undefined) images.set(num(r.image), this.room(r.id));
      }
    }
    if (!(await this.source.hasTable('files'))) return result;
    const now = Date.now() / 1000;
    const total = await this.source.count('files');
    for await (const page of this.source.pages('files', 'id', PAGE)) {
      for (const f of page) {
        result.read++;
        const id = num(f.id);
        const expiry = nullableNum(f.expiry);
        if (f.room === null || f.room === undefined || (expiry !== null && expiry <= now)) {
          result.expired++;
          continue;
        }
        if (!(await this.into.files.roomFileExists(id))) {
          const found = this.locate(String(f.path));
          if (!found) {
            result.missing++;
            this.options.progress(`files: ${String(f.path)} not found, skipped`);
            continue;
          }
          const content = readFileSync(found);
          const messageId = nullableNum(f.message);
          await this.into.files.importRoomFile(
            {
              id,
              roomId: this.room(f.room),
              uploaderId: f.uploader === null || f.uploader === undefined ? null : this.user(f.uploader),
              messageId: messageId !== null && (await this.into.rooms.messageExists(messageId)) ? messageId : null,
              size: content.length,
              uploaded: num(f.uploaded),
              expiry,
              filename: text(f.filename),
            },
            content,
          );
          result.imported++;
        }
        const imageOf = images.get(id);
        if (imageOf !== undefined) await this.into.rooms.importImage(imageOf, id);
      }
      this.options.progress(`files: ${result.read}/${total}`);
    }
    return result;
  }
}
