import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { AuditFilter, AuditRecord } from '../audit/audit.types';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { Clock } from '../core/clock';
import { BlocklistService, type BlocklistEntry, type Quarantine } from '../files/blocklist.service';
import { FilesService } from '../files/files.service';
import type { RoomFileListing } from '../files/files.repository';
import type { Room } from '../generated/prisma/client';
import { checkReadiness, type ReadinessCheck } from '../health/readiness';
import { MetricsService } from '../metrics/metrics.service';
import type { BanRow } from '../moderation/moderation.repository';
import { ModerationService, type ModerationScope, type PersonIdentity } from '../moderation/moderation.service';
import { ReviewService, type HeldJson, type OtherPostJson, type ReportedJson } from '../rooms/review.service';
import { RoomAdminService, type RoomListing } from '../rooms/room-admin.service';
import { RoomsService } from '../rooms/rooms.service';
import type { ContentPolicy, RoomContentPolicy } from '../rooms/content-rules';
import type { RoomModeration, RoomModerationChange } from '../moderation/room-moderation';
import type { RoomFileDownload } from '../files/files.service';
import { qrSvg } from '../web/qr';
import type { OverviewData } from './console.views';

/** The poll a client sends per room (protocol §7.3): counted by the router's request metric under this route. */
const POLL_ROUTE = '/room/:token/pollInfo/:info_updated';
/** The chart's span: the last 7 days, hour by hour. */
const CHART_HOURS = 7 * 24;
/** The author's other posts shown beside each held or reported one. */
const OTHER_POSTS = 5;
/** Held and reported messages shown at once, each (oldest held first, most reported first). */
const QUEUE_SHOWN = 100;
/** Largest files listed at once. */
const LARGEST_FILES = 50;
/** Polls per second is the rate over about this window, sampled every SAMPLE_MS. */
const SAMPLE_MS = 5000;
const SAMPLES = 13;

/** The content-rules form, read: null = empty field (the server default). */
export interface ContentPolicyForm {
  maxChars: { limit: number | null; action: string };
  mentions: { limit: number | null; action: string };
  words: { list: string[] | null; action: string };
  patterns: { list: string[] | null; action: string };
  unreadable: string | null;
  links: string | null;
  newUserAttachments: string | null;
  slowMode: { posts: number | null; seconds: number | null };
  quotas: { postsPerDay: number | null; uploadBytesPerDay: number | null; reactionsPerMinute: number | null };
}

export interface RoomPolicyData {
  moderation: { own: Partial<RoomModeration>; effective: RoomModeration };
  content: { own: RoomContentPolicy; effective: ContentPolicy };
  /** The lockdown in force, if any. */
  lockdown: { until: number; reason: string | null } | null;
}

export interface QueueData {
  held: HeldJson[];
  reported: ReportedJson[];
  /** By message id: the author's other latest posts in its room. */
  others: Map<number, OtherPostJson[]>;
  /** How many there are in all (at most QUEUE_SHOWN of each are listed). */
  totals: { held: number; reported: number };
}

/** Where a console ban applies: 'global', '*' (every room) or one room token. */
export function consoleScope(scope: string): ModerationScope {
  return scope === 'global' ? { global: true } : { rooms: [scope] };
}

/**
 * What the console shows and changes, composed from the services the CLI uses (RoomsService,
 * RoomAdminService, ModerationService, ReviewService, FilesService, BlocklistService, AuditService): no rule of its own. Changes act as the
 * system user, as the CLI's do.
 */
@Injectable()
export class ConsoleService implements OnModuleInit, OnModuleDestroy {
  private readonly samples: Array<{ at: number; polls: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    private readonly rooms: RoomsService,
    private readonly roomAdmin: RoomAdminService,
    private readonly moderation: ModerationService,
    private readonly review: ReviewService,
    private readonly files: FilesService,
    private readonly blocklist: BlocklistService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
    void this.sample();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Room polls answered by this process so far (the router's inner request counter). */
  private async sample(): Promise<void> {
    const { values } = await this.metrics.innerRequests.get();
    const polls = values.filter((v) => v.labels.route === POLL_ROUTE).reduce((sum, v) => sum + v.value, 0);
    this.samples.push({ at: Date.now(), polls });
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  /** Polls per second over the last minute or so; null until two samples exist. */
  pollsPerSecond(): number | null {
    if (this.samples.length < 2) return null;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    return (last.polls - first.polls) / ((last.at - first.at) / 1000);
  }

  async overview(checks: ReadinessCheck[], timeoutMs: number): Promise<OverviewData> {
    const [rooms, hourly, storage, health] = await Promise.all([
      this.listings(),
      this.rooms.hourlyPosts(CHART_HOURS),
      this.files.storageUsage(),
      checkReadiness(checks, timeoutMs),
    ]);
    return {
      rooms: await Promise.all(rooms.map(async (r) => ({ ...r, qrSvg: await qrSvg(r.join_url) }))),
      hourly,
      pollsPerSecond: this.pollsPerSecond(),
      storage,
      health: checks.map((c) => ({ name: c.name, result: health.checks[c.name], advisory: c.advisory ?? false })),
      serverKey: this.serverKey.publicKeyHex,
    };
  }

  // ---- rooms

  async listings(): Promise<RoomListing[]> {
    const rooms = await this.rooms.allRooms();
    return Promise.all(rooms.map((r) => this.roomAdmin.listing(r)));
  }

  async room(token: string): Promise<Room> {
    const room = await this.rooms.findByToken(token);
    if (!room) throw new NotFoundException(`No such room: ${token}`);
    return room;
  }

  async listing(token: string): Promise<RoomListing> {
    return this.roomAdmin.listing(await this.room(token));
  }

  async createRoom(token: string, name: string | undefined, description: string | undefined): Promise<Room> {
    const room = await this.rooms.createRoom(token, { name, description });
    if (!room) throw new ConflictException(`Room ${token} already exists`);
    return room;
  }

  async updateRoom(token: string, fields: { name: string; description: string | null; defaults: Record<'read' | 'accessible' | 'write' | 'upload', boolean> }): Promise<void> {
    const room = await this.room(token);
    await this.rooms.updateRoom(room, {
      name: fields.name,
      description: fields.description,
      default_read: fields.defaults.read,
      default_accessible: fields.defaults.accessible,
      default_write: fields.defaults.write,
      default_upload: fields.defaults.upload,
    });
  }

  // ---- room policy (as `rooms update` moderation settings, `rooms policy`, `rooms lockdown|unlock`)

  async roomPolicy(token: string): Promise<RoomPolicyData> {
    const room = await this.room(token);
    const locked = room.lockdownUntil !== null && room.lockdownUntil > this.clock.seconds();
    return {
      moderation: this.moderation.roomModeration(room),
      content: this.rooms.contentPolicy(room),
      lockdown: locked ? { until: room.lockdownUntil!, reason: room.lockdownReason } : null,
    };
  }

  async setRoomModeration(token: string, change: RoomModerationChange): Promise<void> {
    await this.moderation.setRoomModeration(await this.room(token), change);
  }

  /**
   * The content-rules form as `rooms policy` takes its options: null puts a rule back to the server
   * default; a rule given in part (slow mode, quotas) keeps its other values in force.
   */
  async setContentPolicy(token: string, f: ContentPolicyForm): Promise<void> {
    const room = await this.room(token);
    const e = this.rooms.contentPolicy(room).effective;
    const limited = (v: { limit: number | null; action: string }) => (v.limit === null ? null : { limit: v.limit, action: v.action });
    const listed = (v: { list: string[] | null; action: string }) => (v.list === null ? null : { list: v.list, action: v.action });
    const q = f.quotas;
    await this.rooms.setContentPolicy(room, {
      maxChars: limited(f.maxChars),
      mentions: limited(f.mentions),
      words: listed(f.words),
      patterns: listed(f.patterns),
      unreadable: f.unreadable,
      links: f.links,
      newUserAttachments: f.newUserAttachments,
      slowMode:
        f.slowMode.posts === null && f.slowMode.seconds === null ? null : { posts: f.slowMode.posts ?? e.slowMode.posts, seconds: f.slowMode.seconds ?? e.slowMode.seconds },
      quotas:
        q.postsPerDay === null && q.uploadBytesPerDay === null && q.reactionsPerMinute === null
          ? null
          : {
              postsPerDay: q.postsPerDay ?? e.quotas.postsPerDay,
              uploadBytesPerDay: q.uploadBytesPerDay ?? e.quotas.uploadBytesPerDay,
              reactionsPerMinute: q.reactionsPerMinute ?? e.quotas.reactionsPerMinute,
            },
    });
  }

  async lockdown(token: string, seconds: number, reason: string | null): Promise<void> {
    await this.rooms.lockdown(await this.room(token), seconds, reason);
  }

  async unlock(token: string): Promise<boolean> {
    return this.rooms.unlock(await this.room(token));
  }

  async setImage(token: string, body: Buffer, filename: string): Promise<void> {
    await this.roomAdmin.setImage(await this.room(token), body, filename);
  }

  async roomImage(token: string): Promise<RoomFileDownload | null> {
    const room = await this.room(token);
    return room.imageId === null ? null : this.files.download(room.id, room.imageId);
  }

  /** Deletes the room when `confirm` repeats its token (the form's confirmation). */
  async deleteRoom(token: string, confirm: string): Promise<void> {
    const room = await this.room(token);
    if (confirm.trim().toLowerCase() !== room.token.toLowerCase()) throw new BadRequestException(`Type the room's token (${room.token}) to confirm deleting it`);
    await this.roomAdmin.deleteRoom(room);
  }

  async addModerator(token: string, sessionId: string, opts: { admin: boolean; visible: boolean }): Promise<void> {
    const room = await this.room(token);
    await this.moderation.addModerator(sessionId, { rooms: [room.token] }, opts);
  }

  async removeModerator(token: string, sessionId: string): Promise<void> {
    const room = await this.room(token);
    await this.moderation.removeModerator(sessionId, { rooms: [room.token] });
  }

  // ---- queue (as `held list|approve|reject` and `reports list|dismiss|uphold`)

  /** Held posts and reported messages (of one room or of all), each with its author's other latest posts in that room. */
  async queue(token: string | null): Promise<QueueData> {
    const room = token === null ? undefined : (await this.room(token)).token;
    const [allHeld, allReported] = await Promise.all([this.review.held(room), this.review.reports(room)]);
    const [held, reported] = [allHeld.slice(0, QUEUE_SHOWN), allReported.slice(0, QUEUE_SHOWN)];
    const ids = [...held.map((m) => m.id), ...reported.map((m) => m.id)];
    const others = new Map(await Promise.all(ids.map(async (id) => [id, await this.review.otherPosts(id, OTHER_POSTS)] as const)));
    return { held, reported, others, totals: { held: allHeld.length, reported: allReported.length } };
  }

  /** Approve (publish a held post, dismiss reports) or reject (delete; reports upheld): the same decision as a moderator's reaction. */
  decide(id: number, approve: boolean): Promise<{ room: string; seqno: number }> {
    return this.review.decideById(id, approve);
  }

  // ---- people and bans

  person(sessionId: string): Promise<PersonIdentity[]> {
    return this.moderation.person(sessionId);
  }

  bans(): Promise<BanRow[]> {
    return this.moderation.bans(null);
  }

  async ban(sessionId: string, scope: string, seconds: number | null): Promise<void> {
    await this.moderation.ban(sessionId, consoleScope(scope), seconds);
  }

  /** Mute for `seconds` (as `mute --for`): in one room, every room, or globally. */
  async mute(sessionId: string, scope: string, seconds: number, reason: string | null): Promise<void> {
    await this.moderation.mute(sessionId, consoleScope(scope), seconds, reason);
  }

  unmute(sessionId: string, scope: string): Promise<void> {
    return this.moderation.unmute(sessionId, consoleScope(scope));
  }

  /** Trust or untrust (as `trust add|remove`): in one room, every room, or globally. */
  setTrusted(sessionId: string, scope: string, trusted: boolean): Promise<void> {
    return this.moderation.setTrusted(sessionId, consoleScope(scope), trusted);
  }

  async unban(sessionId: string, scope: string): Promise<void> {
    await this.moderation.unban(sessionId, consoleScope(scope));
  }

  // ---- files

  /** Live room files, largest first (of one room, or of all). */
  async largestFiles(token: string | null): Promise<RoomFileListing[]> {
    const filter = token === null ? {} : { roomId: (await this.room(token)).id };
    const files = await this.files.listRoomFiles(filter, this.clock.seconds());
    return files.sort((a, b) => b.size - a.size).slice(0, LARGEST_FILES);
  }

  async deleteFile(id: number): Promise<number> {
    return this.roomAdmin.deleteFiles([id]);
  }

  // ---- attachment blocklist (as `blocklist add|list|remove`)

  blocked(): Promise<BlocklistEntry[]> {
    return this.blocklist.list();
  }

  async block(sha256: string, reason: string | null): Promise<Quarantine> {
    const [result] = await this.blocklist.add([{ sha256, reason }]);
    return result;
  }

  blockContent(content: Uint8Array, reason: string | null): Promise<Quarantine> {
    return this.blocklist.addContent(content, reason);
  }

  /** Blocks the content of a stored room file (its digest, so every copy and every later upload of it). */
  async blockFile(id: number, token: string): Promise<Quarantine> {
    const file = await this.files.download((await this.room(token)).id, id);
    const chunks: Buffer[] = [];
    for await (const chunk of file.body) chunks.push(chunk as Buffer);
    return this.blocklist.addContent(Buffer.concat(chunks), null);
  }

  async unblock(sha256: string): Promise<void> {
    if (!(await this.blocklist.remove(sha256))) throw new NotFoundException(`${sha256.trim().toLowerCase()} is not blocked`);
  }

  // ---- audit log

  /** Entries matching the filter, newest first, as `audit list` lists them. */
  auditLog(filter: AuditFilter): Promise<AuditRecord[]> {
    return this.audit.list(filter);
  }
}
