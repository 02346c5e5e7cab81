import { BadRequestException, ForbiddenException, HttpException, HttpStatus, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { defaultPolicy, effectivePolicy, roomContentPolicySchema, type ContentPolicy, type RoomContentPolicy } from './content-rules';
import { MetricsService } from '../metrics/metrics.service';
import { AUTH_REQUIRED_MESSAGE } from '../auth/auth-requirements';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ChangeCache } from '../cache/change-cache';
import { ChangeFeed } from '../cache/change-feed';
import { Clock } from '../core/clock';
import type { Prisma, Room, UserPermissionOverride } from '../generated/prisma/client';
import { effectivePermissions, hasPermission, muteRefusal, type GlobalFlags, type Lockdown, type PermissionNeed, type RoomPermissions } from './permissions';
import { moderatorLists, permissionFields, roomJson, type RoomJson } from './room-view';
import { JobName } from '../jobs/job-names';
import { OnJob } from '../jobs/on-job.decorator';
import { ROOM_TOKEN } from '../protocol/constants';
import { RoomFiles } from '../files/room-files';
import { activeSince, activityGranule } from '../users/activity';
import { viewerOf } from './visibility';
import { AuditService } from '../audit/audit.service';
import { actorOf } from '../audit/audit-actor';
import { PluginHooks } from '../plugins/plugin-hooks.service';
import { RoomsRepository, type ImportedMessage, type ImportedRoom, type RoomStats, type Tx } from './rooms.repository';

/** PUT /room/:token body after validation (protocol §6.2). */
export interface RoomUpdate {
  name?: string | null;
  description?: string | null;
  default_read?: boolean | null;
  default_accessible?: boolean | null;
  default_write?: boolean | null;
  default_upload?: boolean | null;
  image?: number | null;
}

export interface RoomAccess {
  room: Room;
  permissions: RoomPermissions;
}

/** protocol §3.4 texts of a missing room permission. */
const PERMISSION_DENIED: Record<Exclude<PermissionNeed, 'accessible'>, string> = {
  read: "This endpoint requires room message 'read' permission",
  write: "This endpoint requires room message 'write' permission",
  upload: "This endpoint requires room file 'upload' permission",
  react: "This endpoint requires room message 'read' permission",
  moderator: 'This endpoint requires moderator room permissions',
  admin: 'This endpoint requires admin room permissions',
};

/** The 403 of a write during a lockdown: until when (UTC), and the operator's reason. */
export function lockdownRefusal(lockdown: Lockdown): string {
  const until = new Date(lockdown.until * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `This room is locked down until ${until}${lockdown.reason ? `: ${lockdown.reason}` : ''}`;
}

/** (room, user) pairs whose activity granule this process has written, before it forgets them all. */
const ACTIVITY_MEMORY = 100_000;

// protocol §6.2: control characters are stripped from names, and from descriptions except tab and newline.
// eslint-disable-next-line no-control-regex
const NAME_CONTROL = /[\u0000-\u001f]/g;
// eslint-disable-next-line no-control-regex
const DESCRIPTION_CONTROL = /[\u0000-\u0008\u000b-\u001f]/g;

/**
 * Rooms (protocol §6.2), their permissions (§3.5), pins (§6.5), info_updates (§7.3) and activity
 * (§9.4): the one owner of room state. Creating, changing (the room image included) and deleting
 * rooms, every info_updates bump and every "may this user see/read/write this room" go through
 * here (access, permissionsFor, permissionsIn, accessibleRooms), for the API, the CLI and the
 * web page alike. refreshActiveUsers and pruneHistory are periodic jobs.
 */
@Injectable()
export class RoomsService {
  private readonly activity = new Map<string, number>();
  /** Rooms by lower-cased token (null: no such room), tagged by room id. */
  private readonly roomCache: ChangeCache<Room | null>;
  /** Override rows by `room:user` (null: none). */
  private readonly overrideCache: ChangeCache<UserPermissionOverride | null>;

  constructor(
    private readonly repo: RoomsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly feed: ChangeFeed,
    private readonly clock: Clock,
    private readonly files: RoomFiles,
    private readonly audit: AuditService,
    private readonly plugins: PluginHooks,
    private readonly metrics: MetricsService,
  ) {
    const limits = { ttlMs: config.CACHE_TTL * 1000, maxEntries: config.CACHE_MAX_ENTRIES, clock };
    this.roomCache = new ChangeCache(feed, { ...limits, tagOf: (room) => (room ? String(room.id) : null) });
    this.overrideCache = new ChangeCache(feed, limits);
    feed.subscribe((change) => {
      if (change.kind === 'room') this.roomCache.deleteTag(String(change.roomId));
      else if (change.kind === 'rooms') this.roomCache.clear();
      else if (change.kind === 'override') this.overrideCache.delete(`${change.roomId}:${change.userId}`);
      else if (change.kind === 'reset') {
        this.roomCache.clear();
        this.overrideCache.clear();
      }
    });
  }

  // ---- look-ups and permissions

  /** The room by token, case-insensitively (protocol §5); null when unknown. */
  async findByToken(token: string): Promise<Room | null> {
    // protocol §9.1: no room has another token, and text such as NUL must not reach a query (a 500 in PostgreSQL).
    if (!ROOM_TOKEN.test(token)) return null;
    return (await this.repo.roomWithOverride(token, null))?.room ?? null;
  }

  /**
   * The user's effective permissions in the room (protocol §3.5); null user = anonymous. `db`: read
   * inside the caller's transaction.
   */
  async permissionsFor(room: Room, user: (GlobalFlags & { id: number }) | null, db?: Tx): Promise<RoomPermissions> {
    const override = user ? await this.repo.override(room.id, user.id, db) : null;
    return effectivePermissions(room, user, override, this.clock.seconds());
  }

  /** The user's effective permissions in each of the rooms, by room id. */
  async permissionsIn(user: AuthenticatedUser, rooms: Room[], db?: Tx): Promise<Map<number, RoomPermissions>> {
    const overrides = new Map(
      (
        await this.repo.overridesOfUser(
          user.id,
          rooms.map((r) => r.id),
          db,
        )
      ).map((o) => [o.roomId, o]),
    );
    return new Map(rooms.map((r) => [r.id, effectivePermissions(r, user, overrides.get(r.id) ?? null, this.clock.seconds())]));
  }

  /** The rooms the user can access (accessible-or-read, not banned), by token, with the user's permissions. */
  async accessibleRooms(user: AuthenticatedUser | null): Promise<RoomAccess[]> {
    const rooms = await this.repo.allRoomsWithOverrides(user?.id ?? null);
    return rooms
      .map(({ room, override }) => ({ room, permissions: effectivePermissions(room, user, override, this.clock.seconds()) }))
      .filter(({ permissions }) => hasPermission(permissions, 'accessible'));
  }

  roomById(id: number, db?: Tx): Promise<Room | null> {
    return this.repo.roomById(id, db);
  }

  /** Rooms by token, case-insensitively; unknown tokens are left out. */
  roomsByTokens(tokens: string[], db?: Tx): Promise<Room[]> {
    return this.repo.roomsByTokens(tokens, db);
  }

  /** Every room, by token case-insensitively. */
  allRooms(db?: Tx): Promise<Room[]> {
    return this.repo.allRooms(db);
  }

  roomStats(room: Room, at: number): Promise<RoomStats> {
    return this.repo.roomStats(room.id, at, (days) => activeSince(at, days * 86400, this.config.ACTIVITY_GRANULARITY));
  }

  // ---- creating and deleting rooms

  /**
   * A new room with the protocol §8 default permissions, named after its token; a given name or
   * description then goes through updateRoom's rules. Null when the token is taken. `by`: the
   * acting admin (none = the CLI), for the audit log.
   */
  async createRoom(token: string, fields: { name?: string; description?: string } = {}, by?: AuthenticatedUser): Promise<Room | null> {
    if (!ROOM_TOKEN.test(token)) throw new BadRequestException(`Invalid room token '${token}'`);
    if (await this.findByToken(token)) return null;
    let room: Room;
    try {
      room = await this.repo.createRoom(token, token);
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') return null;
      throw err;
    }
    // Recorded right after the insert commits: a failed insert (token taken) must not abort a transaction.
    await this.audit.record({ actor: actorOf(by), action: 'room.create', room });
    if ((fields.name !== undefined && fields.name !== token) || fields.description !== undefined) {
      await this.updateRoom(room, { name: fields.name, description: fields.description }, by);
    }
    return room;
  }

  /** Deletes the room and everything in it; its files become due for the files sweep at once (protocol §9.3). */
  deleteRoom(room: Room, by?: AuthenticatedUser): Promise<void> {
    return this.repo.transaction(async (tx) => {
      await this.repo.deleteRoom(room.id, tx);
      await this.audit.record({ actor: actorOf(by), action: 'room.delete', room: { id: null, token: room.token } }, tx);
    });
  }

  /**
   * Room and permissions (the route guard's path); null when the token is unknown. `batchReads`
   * are the shared reads of the /batch the request is part of (GET sub-requests). Served from the
   * change-notified caches, so an idle poll reads nothing from the database (issue 7); without
   * the feed, one query.
   */
  access(token: string, user: AuthenticatedUser | null, batchReads?: Map<string, Promise<unknown>>): Promise<RoomAccess | null> {
    // Reads of one /batch share the look-up: a poll asks pollInfo and messages/since of each room,
    // and the sub-requests run concurrently with the same user anyway (protocol §6.1).
    if (!batchReads) return this.loadAccess(token, user);
    const key = `room-access:${token.toLowerCase()}`;
    let access = batchReads.get(key) as Promise<RoomAccess | null> | undefined;
    if (!access) {
      access = this.loadAccess(token, user);
      batchReads.set(key, access);
    }
    return access;
  }

  /**
   * The room of `token` and the requester's permissions in it, when they hold `need`; otherwise
   * the refusal of protocol §3.4: unknown room or not accessible → 404 with an empty body;
   * read/write/upload → 403; moderator/admin → 401 when anonymous (403 with `anonymousForbidden`),
   * else 403. Every route that names a room enforces access through here.
   */
  async requireAccess(
    token: string,
    user: AuthenticatedUser | null,
    need: PermissionNeed,
    options: { anonymousForbidden?: boolean; batchReads?: Map<string, Promise<unknown>> } = {},
  ): Promise<RoomAccess> {
    const access = await this.access(token, user, options.batchReads);
    if (!access) throw new NotFoundException();
    this.requirePermission(access.permissions, user, need, options.anonymousForbidden);
    return access;
  }

  /**
   * Returns when `permissions` hold `need`, else throws requireAccess's refusal (protocol §3.4): for
   * a route's need, and for a need that depends on what the request asks (a reaction that is not a report).
   */
  requirePermission(permissions: RoomPermissions, user: AuthenticatedUser | null, need: PermissionNeed, anonymousForbidden = false): void {
    if (hasPermission(permissions, need)) return;
    if (need === 'accessible') throw new NotFoundException();
    if ((need === 'moderator' || need === 'admin') && !user && !anonymousForbidden) throw new UnauthorizedException(AUTH_REQUIRED_MESSAGE);
    // A muted user is told why, and until when (issue 14 item 6).
    if ((need === 'write' || need === 'upload') && permissions.mute) {
      this.metrics.muteRefusals.inc({ permission: need });
      throw new ForbiddenException(muteRefusal(permissions.mute));
    }
    const lockdown = permissions.lockdown;
    if (lockdown && (need === 'write' || need === 'upload' || need === 'react') && hasPermission({ ...permissions, lockdown: null, write: true, upload: true }, need)) {
      throw new ForbiddenException(lockdownRefusal(lockdown));
    }
    throw new ForbiddenException(PERMISSION_DENIED[need]);
  }

  private async loadAccess(token: string, user: AuthenticatedUser | null): Promise<RoomAccess | null> {
    if (!ROOM_TOKEN.test(token)) return null;
    if (!this.feed.live) {
      const found = await this.repo.roomWithOverride(token, user?.id ?? null);
      return found && { room: found.room, permissions: effectivePermissions(found.room, user, found.override, this.clock.seconds()) };
    }
    const room = await this.roomCache.get(token.toLowerCase(), async () => (await this.repo.roomWithOverride(token, null))?.room ?? null);
    if (!room) return null;
    const override = user ? await this.overrideCache.get(`${room.id}:${user.id}`, () => this.repo.override(room.id, user.id)) : null;
    return { room, permissions: effectivePermissions(room, user, override, this.clock.seconds()) };
  }

  /** One more info_updates (protocol §7.3) in each listed room, or in every room (null), inside the caller's transaction. */
  bumpInfoUpdatesOf(roomIds: number[] | null, tx: Tx): Promise<void> {
    return this.repo.bumpInfoUpdatesOf(roomIds, tx);
  }

  /**
   * Deletes room files (CLI): they expire now, so reads 404 at once and the files sweep removes rows
   * and objects (protocol §9.3); a room image among them is cleared from its room first (one more
   * info_updates there). Returns how many files there were.
   */
  async deleteRoomFiles(fileIds: number[], now: number, by?: AuthenticatedUser): Promise<number> {
    if (fileIds.length === 0) return 0;
    return this.repo.transaction(async (tx) => {
      await this.repo.clearImages(fileIds, tx);
      const expired = await this.files.expire(tx, fileIds, now);
      await this.audit.record(
        fileIds.map((id) => ({ actor: actorOf(by), action: 'file.delete' as const, target: String(id) })),
        tx,
      );
      return expired;
    });
  }

  /** Adds `by` to the room's info_updates (protocol §7.3) inside the caller's transaction; returns the new value. */
  bumpInfoUpdates(roomId: number, tx?: Prisma.TransactionClient, by = 1): Promise<number> {
    if (tx) return this.repo.bumpInfoUpdates(roomId, by, tx);
    return this.repo.transaction((t) => this.repo.bumpInfoUpdates(roomId, by, t));
  }

  // ---- room objects (protocol §6.2)

  /** The room object as `user` sees it: pins of messages they may not see are left out (src/rooms/visibility.ts). */
  async roomObject(room: Room, permissions: RoomPermissions, user: { id: number } | null): Promise<RoomJson> {
    const [mods, pins] = await Promise.all([this.repo.moderators(room.id), this.repo.pinned(room.id, viewerOf(user, permissions))]);
    return roomJson(
      room,
      permissions,
      moderatorLists(mods.room, mods.global),
      pins.map((p) => ({ id: p.id, pinned_at: p.pinnedAt, pinned_by: p.pinnedBy })),
      this.config.ACTIVE_THRESHOLD,
    );
  }

  /** GET /rooms: the rooms the requester can access (accessible-or-read, not banned), by token. */
  async listRooms(user: AuthenticatedUser | null): Promise<RoomJson[]> {
    const visible = await this.accessibleRooms(user);
    return Promise.all(visible.map(({ room, permissions }) => this.roomObject(room, permissions, user)));
  }

  /** GET /room/:token/pollInfo/:info_updated (protocol §6.2). */
  async pollInfo(room: Room, permissions: RoomPermissions, user: AuthenticatedUser | null, infoUpdated: number): Promise<RoomJson> {
    await this.recordActivity(room, user);
    const json: RoomJson = { token: room.token, active_users: room.activeUsers, ...permissionFields(room, permissions) };
    if (room.infoUpdates !== infoUpdated) json.details = await this.roomObject(room, permissions, user);
    return json;
  }

  /**
   * Writes a room's moderation settings (issue 14 item 7, validated by ModerationService; clients
   * never see them, so no info_updates). Returns the updated room.
   */
  updateModerationColumns(room: Room, data: Prisma.RoomUpdateInput, by?: AuthenticatedUser): Promise<Room> {
    return this.repo.transaction(async (tx) => {
      const updated = await this.repo.updateRoomFields(room.id, data, tx);
      await this.audit.record({ actor: actorOf(by), action: 'room.update', room, details: data as Prisma.InputJsonObject }, tx);
      return updated;
    });
  }

  /**
   * PUT /room/:token (protocol §6.2): each changed name, description or image adds one to
   * info_updates; default permissions do not. `by`: the acting admin (none = the CLI), for the audit log.
   */
  async updateRoom(room: Room, update: RoomUpdate, by?: AuthenticatedUser): Promise<{ info_updates: number }> {
    const defaults: Prisma.RoomUpdateInput = {};
    for (const flag of ['read', 'accessible', 'write', 'upload'] as const) {
      const value = update[`default_${flag}`];
      if (value !== undefined && value !== null) defaults[flag] = value;
    }
    const name = typeof update.name === 'string' ? update.name.replace(NAME_CONTROL, '') : undefined;
    const description = update.description === undefined ? undefined : update.description === null ? null : update.description.replace(DESCRIPTION_CONTROL, '') || null;
    const image = update.image ?? undefined;
    if (name === undefined && description === undefined && image === undefined && Object.keys(defaults).length === 0) {
      throw new BadRequestException('Nothing to update: give at least one of name, description, image, default_read, default_accessible, default_write, default_upload');
    }
    return this.repo.transaction(async (tx) => {
      const current = await this.repo.lockRoom(room.id, tx);
      const data: Prisma.RoomUpdateInput = { ...defaults };
      const changed: Record<string, string | number | boolean | null> = { ...(defaults as Record<string, boolean>) };
      let bumps = 0;
      if (name !== undefined && name !== current.name) {
        data.name = changed.name = name;
        bumps++;
      }
      if (description !== undefined && description !== current.description) {
        data.description = changed.description = description;
        bumps++;
      }
      if (image !== undefined && image !== current.imageId) {
        await this.replaceImage(current, image, tx);
        data.image = { connect: { id: image } };
        changed.image = image;
        bumps++;
      }
      if (bumps) data.infoUpdates = { increment: bumps };
      const updated = Object.keys(data).length ? await this.repo.updateRoomFields(room.id, data, tx) : current;
      const onlyImage = Object.keys(changed).length === 1 && 'image' in changed;
      await this.audit.record({ actor: actorOf(by), action: onlyImage ? 'room.image' : 'room.update', room, details: changed }, tx);
      return { info_updates: updated.infoUpdates };
    });
  }

  /**
   * Locks the room down for `seconds` (issue 15 item 2): until then only trusted users and
   * moderators post, react and upload (effectivePermissions). It ends by itself: nothing runs at
   * the end, the permission computation compares the time. A new lockdown replaces the last.
   */
  async lockdown(room: Room, seconds: number, reason: string | null, by?: AuthenticatedUser): Promise<Room> {
    const until = this.clock.seconds() + seconds;
    return this.repo.transaction(async (tx) => {
      const updated = await this.repo.updateRoomFields(room.id, { lockdownUntil: until, lockdownReason: reason }, tx);
      await this.audit.record({ actor: actorOf(by), action: 'room.lockdown', room, reason, details: { until, seconds } }, tx);
      return updated;
    });
  }

  /** Ends a room's lockdown now; false when none was in force (nothing recorded). */
  async unlock(room: Room, by?: AuthenticatedUser): Promise<boolean> {
    return this.repo.transaction(async (tx) => {
      const current = await this.repo.lockRoom(room.id, tx);
      if (current.lockdownUntil === null || current.lockdownUntil <= this.clock.seconds()) return false;
      await this.repo.updateRoomFields(room.id, { lockdownUntil: null, lockdownReason: null }, tx);
      await this.audit.record({ actor: actorOf(by), action: 'room.unlock', room, details: { until: current.lockdownUntil } }, tx);
      return true;
    });
  }

  /** A room's content rules (issue 15 item 5): its own settings and the rules in force (own over the server defaults). */
  contentPolicy(room: Room): { own: RoomContentPolicy; effective: ContentPolicy } {
    const parsed = roomContentPolicySchema.safeParse(room.policy ?? {});
    const own = parsed.success ? parsed.data : {};
    return { own, effective: effectivePolicy(own, defaultPolicy(this.config)) };
  }

  /**
   * Changes a room's own content rules: each key of `patch` replaces the room's setting, null
   * removes it (back to the server default). Validated here, so what is stored always compiles
   * (400 with the reason: a bad or catastrophic regular expression, a limit out of range).
   */
  async setContentPolicy(room: Room, patch: Record<string, unknown>, by?: AuthenticatedUser): Promise<{ own: RoomContentPolicy; effective: ContentPolicy }> {
    return this.repo.transaction(async (tx) => {
      const current = await this.repo.lockRoom(room.id, tx);
      const merged: Record<string, unknown> = { ...(current.policy as Record<string, unknown>), ...patch };
      for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
      const parsed = roomContentPolicySchema.safeParse(merged);
      if (!parsed.success) throw new BadRequestException(`Invalid room policy: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const updated = await this.repo.updateRoomFields(room.id, { policy: parsed.data }, tx);
      // What changed, as set (null: back to the server default).
      await this.audit.record({ actor: actorOf(by), action: 'room.policy', room, details: patch as Prisma.InputJsonObject }, tx);
      return this.contentPolicy(updated);
    });
  }

  /** protocol §9.3: the new image becomes permanent, the old one expires now. */
  private async replaceImage(room: Room, fileId: number, tx: Tx): Promise<void> {
    const at = this.clock.seconds();
    if (!(await this.files.makeRoomImage(tx, room.id, fileId, room.imageId, at))) {
      throw new HttpException('Room image must be a current file uploaded to this room', HttpStatus.NOT_ACCEPTABLE);
    }
  }

  // ---- pins (protocol §6.5)

  async pin(room: Room, messageId: number, user: AuthenticatedUser): Promise<{ info_updates: number }> {
    return this.repo.transaction(async (tx) => {
      if (!(await this.repo.regularMessageExists(room.id, messageId, tx))) throw new NotFoundException('No such message');
      await this.repo.pin(room.id, messageId, user.id, this.clock.seconds(), tx);
      await this.files.setMessageFilesExpiry(tx, [messageId], { keep: true });
      await this.audit.record({ actor: actorOf(user), action: 'pin', room, target: String(messageId) }, tx);
      return { info_updates: await this.repo.bumpInfoUpdates(room.id, 1, tx) };
    });
  }

  /** Unpins one message, or all (messageId null); returns how many were unpinned. */
  async unpin(room: Room, messageId: number | null, by?: AuthenticatedUser): Promise<{ unpinned: number; info_updates: number }> {
    return this.repo.transaction(async (tx) => {
      const unpinned = await this.unpinIn(room.id, messageId, tx);
      if (unpinned)
        await this.audit.record(
          { actor: actorOf(by), action: 'unpin', room, target: messageId === null ? null : String(messageId), details: { all: messageId === null, unpinned } },
          tx,
        );
      const { infoUpdates } = (await this.repo.roomById(room.id, tx))!;
      return { unpinned, info_updates: infoUpdates };
    });
  }

  /** Removes pins inside a transaction with their info_updates and file expiry effects. */
  async unpinIn(roomId: number, messageId: number | null, tx: Tx): Promise<number> {
    const ids = await this.repo.unpin(roomId, messageId, tx);
    if (ids.length) {
      await this.repo.bumpInfoUpdates(roomId, ids.length, tx);
      await this.files.setMessageFilesExpiry(tx, ids, { uploadedPlus: this.config.FILE_EXPIRY || null });
    }
    return ids.length;
  }

  // ---- activity and maintenance (protocol §9.4)

  /**
   * Records that an authenticated user polled the room, to the ACTIVITY_GRANULARITY granule: once per
   * granule per process (and the row only changes when the granule does).
   */
  async recordActivity(room: Room, user: AuthenticatedUser | null): Promise<void> {
    if (!user) return;
    const key = `${room.id}:${user.id}`;
    const at = activityGranule(this.clock.seconds(), this.config.ACTIVITY_GRANULARITY);
    if (this.activity.get(key) === at) return;
    if (this.activity.size >= ACTIVITY_MEMORY) this.activity.clear();
    this.activity.set(key, at);
    try {
      if (await this.repo.recordActivity(room.id, user.id, at)) this.plugins.firstRequest(room, user);
    } catch (err) {
      this.activity.delete(key);
      throw err;
    }
  }

  /** protocol §9.4 step 4: prunes old activity rows and recounts every room's active_users. */
  @OnJob(JobName.RefreshActiveUsers, { every: 'CLEANUP_INTERVAL' })
  async refreshActiveUsers(): Promise<void> {
    const at = this.clock.seconds();
    const g = this.config.ACTIVITY_GRANULARITY;
    // A row is pruned once all of its granule is past the prune threshold.
    await this.repo.refreshActiveUsers(activeSince(at, this.config.ACTIVE_THRESHOLD, g), activeSince(at, this.config.ACTIVE_PRUNE_THRESHOLD, g));
  }

  /** protocol §9.4 step 2: drops edit history older than HISTORY_PRUNE_THRESHOLD; returns rows removed. */
  @OnJob(JobName.PruneHistory, { every: 'CLEANUP_INTERVAL' })
  async pruneHistory(): Promise<number> {
    if (this.config.HISTORY_PRUNE_THRESHOLD === 0) return 0; // 0 = kept forever
    return this.repo.pruneHistory(this.clock.seconds() - this.config.HISTORY_PRUNE_THRESHOLD);
  }

  /**
   * Keeps room_hourly_posts (the console's posts-per-hour chart) current: recounts the hour before
   * and this one (late commits near the boundary land in the earlier hour), from the start of the
   * retention on the first run, and drops counts older than POST_COUNTS_RETENTION.
   */
  @OnJob(JobName.CountPosts, { every: 'CLEANUP_INTERVAL' })
  async countPosts(): Promise<void> {
    const now = this.clock.seconds();
    const oldest = Math.floor((now - this.config.POST_COUNTS_RETENTION) / 3600);
    const last = await this.repo.lastCountedHour();
    const from = last === null ? oldest : Math.max(oldest, Math.min(last, Math.floor(now / 3600)) - 1);
    await this.repo.rollUpHourlyPosts(from, oldest);
  }

  /** Posts per hour of the last `hours` hours ending with the current one, oldest first, zeros included. */
  async hourlyPosts(hours: number, room?: Room): Promise<Array<{ hour: number; posts: number }>> {
    const current = Math.floor(this.clock.seconds() / 3600);
    const first = current - hours + 1;
    const counted = new Map((await this.repo.hourlyPosts(first, room?.id)).map((r) => [r.hour, r.posts]));
    return Array.from({ length: hours }, (_, i) => ({ hour: first + i, posts: counted.get(first + i) ?? 0 }));
  }

  // ---- import from another server (CLI `import pysogs`): rows keep their ids and seqnos, insert-if-absent

  /** Our id of the room with this token; an existing room keeps its state (a re-run). */
  importRoom(r: ImportedRoom): Promise<{ id: number; inserted: boolean }> {
    return this.repo.importRoom(r);
  }

  importMessages(messages: ImportedMessage[]): Promise<number> {
    return this.repo.importMessages(messages);
  }

  messageExists(id: number): Promise<boolean> {
    return this.repo.messageExists(id);
  }

  importHistory(rows: Array<{ messageId: number; replaced: number; data: Buffer | null; signature: Buffer | null }>): Promise<number> {
    return this.repo.importHistory(rows);
  }

  /** Our reaction id for (message, reaction), created when absent. */
  importReaction(messageId: number, reaction: string): Promise<number> {
    return this.repo.importReaction(messageId, reaction);
  }

  importUserReaction(reactionId: number, userId: number, at: number): Promise<number> {
    return this.repo.importUserReaction(reactionId, userId, at);
  }

  importPin(roomId: number, messageId: number, pinnedBy: number, pinnedAt: number): Promise<number> {
    return this.repo.importPin(roomId, messageId, pinnedBy, pinnedAt);
  }

  importRoomActivity(roomId: number, userId: number, lastActive: number): Promise<number> {
    return this.repo.importRoomActivity(roomId, userId, activityGranule(lastActive, this.config.ACTIVITY_GRANULARITY));
  }

  /** The source's room image as it was there: no info_updates bump, no expiry change (both came with the rows). */
  importImage(roomId: number, fileId: number): Promise<void> {
    return this.repo.importImage(roomId, fileId);
  }
}
