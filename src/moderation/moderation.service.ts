import { BadRequestException, ForbiddenException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { Clock } from '../core/clock';
import type { Prisma, Room, UserPermissionOverride } from '../generated/prisma/client';
import { hasPermission, type PermissionNeed } from '../rooms/permissions';
import { RoomsService } from '../rooms/rooms.service';
import { JobName } from '../jobs/job-names';
import { OnJob } from '../jobs/on-job.decorator';
import { ROOM_TOKEN } from '../protocol/constants';
import {
  ModerationRepository,
  type BanRow,
  type ModerationFlags,
  type ModeratorRow,
  type MuteRow,
  type OverridePatch,
  type RoomStandingRow,
  type TrustRow,
} from './moderation.repository';
import { futureObject, futureValue, permissionObject, type FutureObject, type OverrideFlags, type PermissionObject } from './permission-object';
import { UsersService } from '../users/users.service';
import { AuditService } from '../audit/audit.service';
import { actorOf } from '../audit/audit-actor';
import { PluginHooks } from '../plugins/plugin-hooks.service';
import { ownRoomModeration, roomModeration, roomModerationChangeSchema, type RoomModeration, type RoomModerationChange } from './room-moderation';

/** One user row behind a looked-up Session id, with its global flags and per-room standing. */
export interface PersonIdentity extends ModerationFlags {
  sessionId: string;
  created: number;
  lastActive: number;
  rooms: RoomStandingRow[];
}

/** Where a moderator/ban change applies (protocol §6.8): listed rooms, `['*']`, or the whole server. */
export type ModerationScope = { global: true } | { rooms: string[] };

/** A user's moderator standing at one level (a room token, or null for global): what a change found. */
export interface ModeratorStatusAt {
  room: string | null;
  status: 'admin' | 'moderator' | null;
}

/** What setModerator did: the API answers info_updates (protocol §6.8); the CLI reports `before` truthfully. */
export interface ModeratorResult {
  info_updates: Record<string, number>;
  before: ModeratorStatusAt[];
}

/** At each level of a ban or unban, what the user was before it. */
export interface BanResult {
  /** Room moderator or admin status the room ban removed (protocol §6.8). */
  dropped: Array<{ room: string; status: 'admin' | 'moderator' }>;
}
export interface UnbanResult {
  before: Array<{ room: string | null; banned: boolean }>;
}

function statusOf(o: { moderator: boolean; admin: boolean } | null): ModeratorStatusAt['status'] {
  return o?.admin ? 'admin' : o?.moderator ? 'moderator' : null;
}

/** protocol §6.8 moderator flags; null = leave unchanged. */
export interface ModeratorChange {
  moderator?: boolean | null;
  admin?: boolean | null;
  visible?: boolean | null;
}

type PermissionFlag = 'read' | 'accessible' | 'write' | 'upload';
type FutureFlag = 'read' | 'write' | 'upload';

/** protocol §6.7 POST permissions body. */
export type PermissionChange = Partial<Record<PermissionFlag, boolean | null>> & Partial<Record<`default_${PermissionFlag}`, boolean | null>> & { unschedule?: boolean | null };

export type FuturePermissionChange = Partial<Record<FutureFlag, boolean | null>>;

/** Room defaults as the CLI sets them (protocol §10.1 `--add-perms/--remove-perms`). */
export type RoomDefaultsChange = Partial<Record<PermissionFlag, boolean>>;

const PERMISSION_FLAGS: PermissionFlag[] = ['read', 'accessible', 'write', 'upload'];
const FUTURE_FLAGS: FutureFlag[] = ['read', 'write', 'upload'];
/** `in` of futurePermissions and ban `timeout` must be below this many seconds (protocol §6.7). */
const MAX_DELAY_SECONDS = 1e9;
/** Due futures applied per transaction by the periodic job. */
const FUTURES_BATCH = 500;

/**
 * Validates the common `rooms`/`global` body fields (protocol §6.8): exactly one of a non-empty token
 * list (or `["*"]` alone) and `global: true`.
 */
export function parseScope(body: { rooms?: string[] | null; global?: boolean | null }): ModerationScope {
  const rooms = body.rooms ?? null;
  const global = body.global === true;
  if (rooms !== null && global) throw new BadRequestException("Specify only one of 'rooms' and 'global'");
  if (global) return { global: true };
  if (rooms === null) throw new BadRequestException("One of 'rooms' or 'global' is required");
  if (rooms.length === 0) throw new BadRequestException("'rooms' must not be empty");
  if (rooms.length > 1 && rooms.includes('*')) throw new BadRequestException("'*' must be the only 'rooms' value");
  if (rooms.some((t) => t !== '*' && !ROOM_TOKEN.test(t))) throw new BadRequestException("'rooms' must list room tokens (1-64 of A-Z a-z 0-9 _ -)");
  return { rooms };
}

function isGlobalModerator(u: { moderator: boolean; admin: boolean }): boolean {
  return u.moderator || u.admin;
}

function modFlags(o: UserPermissionOverride | null): string {
  return `${o?.moderator ?? false}/${o?.admin ?? false}`;
}

/** Positive seconds below the bound, else 400 naming the field. */
function delaySeconds(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0 || value >= MAX_DELAY_SECONDS) {
    throw new BadRequestException(`'${field}' must be a number of seconds greater than 0 and below ${MAX_DELAY_SECONDS}`);
  }
  return value;
}

/**
 * Moderators, bans, per-room permission overrides and their timed changes (protocol §6.7, §6.8, §9.4
 * step 5). Every method takes the acting user; CLI callers omit it and act as the system user.
 */
@Injectable()
export class ModerationService {
  private readonly logger = new Logger(ModerationService.name);

  constructor(
    private readonly repo: ModerationRepository,
    private readonly users: UsersService,
    private readonly clock: Clock,
    private readonly rooms: RoomsService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly plugins: PluginHooks,
  ) {}

  // ---- moderators (protocol §6.8 POST /user/:sid/moderator)

  /** Grants/removes moderator or admin status; returns the affected rooms' info_updates (protocol §7.3). */
  async setModerator(sessionId: string, scope: ModerationScope, change: ModeratorChange, by?: AuthenticatedUser): Promise<ModeratorResult> {
    let admin = change.admin ?? null;
    let moderator = change.moderator ?? null;
    if (admin === null && moderator === null) throw new BadRequestException("At least one of 'moderator' and 'admin' is required");
    if (admin === true && moderator === false) throw new BadRequestException('admin=true with moderator=false is impossible: admins are moderators');
    // admin implies moderator; not-moderator implies not-admin.
    if (admin === true) moderator = null;
    if (moderator === false) admin = null;
    const actor = by ?? (await this.users.getSystemUser());
    const target = await this.users.resolveTarget(sessionId);
    const userId = target.user.id;

    if ('global' in scope) {
      if (!actor.admin) throw new ForbiddenException('Global admin permission required');
      const visible = change.visible ?? false;
      return this.repo.transaction(async (db) => {
        const before = await this.repo.lockUser(userId, db);
        if (!before) throw new NotFoundException('No such user');
        const next = { ...before };
        if (moderator === false) Object.assign(next, { moderator: false, admin: false });
        else if (admin === false && moderator === null) next.admin = false;
        else Object.assign(next, { moderator: true, admin: admin ?? before.admin, visibleMod: visible, banned: false });
        if (next.moderator !== before.moderator || next.admin !== before.admin || next.visibleMod !== before.visibleMod || next.banned !== before.banned) {
          await this.repo.updateUserFlags(userId, next, db);
          // Global mod changes show in every room's moderator lists (protocol §7.3).
          if (next.moderator !== before.moderator || next.admin !== before.admin || next.visibleMod !== before.visibleMod) await this.rooms.bumpInfoUpdatesOf(null, db);
        }
        await this.users.commitTarget(target, db);
        await this.audit.record({ actor: actorOf(by), action: 'moderator.set', target: target.user.sessionId, details: { global: true, moderator, admin, visible } }, db);
        const rooms = await this.rooms.allRooms(db);
        return { info_updates: Object.fromEntries(rooms.map((r) => [r.token, r.infoUpdates])), before: [{ room: null, status: statusOf(before) }] };
      });
    }

    const visible = change.visible ?? true;
    return this.repo.transaction(async (db) => {
      const rooms = await this.roomsFor(actor, scope.rooms, 'admin', db);
      const before: ModeratorStatusAt[] = [];
      for (const room of rooms) {
        let result;
        if (moderator === false) result = await this.repo.updateOverrideIfExists(room.id, userId, { moderator: false, admin: false, visibleMod: true }, db);
        else if (admin === false && moderator === null) result = await this.repo.updateOverrideIfExists(room.id, userId, { admin: false }, db);
        else {
          const patch: OverridePatch = { moderator: true, visibleMod: visible };
          if (admin !== null) patch.admin = admin;
          result = await this.repo.writeOverride(room.id, userId, patch, db);
        }
        // Room-level mod/admin changes bump that room; visibility alone does not (protocol §7.3).
        if (modFlags(result.before) !== modFlags(result.after)) await this.rooms.bumpInfoUpdatesOf([room.id], db);
        before.push({ room: room.token, status: statusOf(result.before) });
      }
      await this.users.commitTarget(target, db);
      await this.audit.record(
        rooms.map((room) => ({ actor: actorOf(by), action: 'moderator.set' as const, room, target: target.user.sessionId, details: { moderator, admin, visible } })),
        db,
      );
      const fresh = await this.rooms.roomsByTokens(
        rooms.map((r) => r.token),
        db,
      );
      return { info_updates: Object.fromEntries(fresh.map((r) => [r.token, r.infoUpdates])), before };
    });
  }

  /** CLI form (protocol §10.1 `--add-moderators [--admin] [--visible|--hidden]`). */
  addModerator(sessionId: string, scope: ModerationScope, opts: { admin?: boolean; visible?: boolean } = {}, by?: AuthenticatedUser) {
    return this.setModerator(sessionId, scope, opts.admin ? { admin: true, visible: opts.visible } : { moderator: true, visible: opts.visible }, by);
  }

  /** CLI form (protocol §10.1 `--delete-moderators`): removes moderator and admin status. */
  removeModerator(sessionId: string, scope: ModerationScope, by?: AuthenticatedUser) {
    return this.setModerator(sessionId, scope, { moderator: false }, by);
  }

  // ---- bans (protocol §6.8 POST /user/:sid/ban and /unban)

  /**
   * Bans in the listed rooms or globally. `timeoutSeconds` null = permanent; otherwise it must be
   * positive (0 or negative → 400: pysogs' "0 = permanent, negative = unban at once" is a bug, §13)
   * and schedules the unban, replacing any scheduled one. `shadow` (issue 14): a shadow ban instead
   * — the user keeps every permission, their posts and reactions are answered as usual and seen by
   * them and moderators only (src/rooms/visibility.ts), their DMs are dropped.
   */
  async ban(sessionId: string, scope: ModerationScope, timeoutSeconds: number | null = null, by?: AuthenticatedUser, shadow = false): Promise<BanResult> {
    const unbanAt = timeoutSeconds === null ? null : this.clock.seconds() + delaySeconds(timeoutSeconds, 'timeout');
    const actor = by ?? (await this.users.getSystemUser());
    const target = await this.users.resolveTarget(sessionId);
    const userId = target.user.id;
    if (userId === actor.id) throw new ForbiddenException('You cannot ban yourself');
    if (isGlobalModerator(target.user)) throw new ForbiddenException('Global moderators and admins cannot be banned');

    if ('global' in scope) {
      if (!isGlobalModerator(actor)) throw new ForbiddenException('Global moderator permission required');
      await this.repo.transaction(async (db) => {
        await this.repo.updateUserFlags(userId, shadow ? { shadowBanned: true } : { banned: true }, db);
        await this.repo.replaceBanFutures(null, userId, unbanAt, db, shadow);
        await this.users.commitTarget(target, db);
        await this.audit.record({ actor: actorOf(by), action: 'ban', target: target.user.sessionId, details: { global: true, timeout: timeoutSeconds, shadow } }, db);
      });
      this.plugins.banChanged({ banned: true, timeout: timeoutSeconds, shadow }, null, target.user.sessionId, actorOf(by));
      return { dropped: [] };
    }
    let banned: Room[] = [];
    const outcome = await this.repo.transaction(async (db) => {
      const rooms = (banned = await this.roomsFor(actor, scope.rooms, 'moderator', db));
      const actorPerms = await this.rooms.permissionsIn(actor, rooms, db);
      const targetOverrides = new Map(
        (
          await this.repo.overridesOfUser(
            userId,
            rooms.map((r) => r.id),
            db,
          )
        ).map((o) => [o.roomId, o]),
      );
      for (const room of rooms) {
        const o = targetOverrides.get(room.id);
        if ((o?.moderator || o?.admin) && !actorPerms.get(room.id)!.admin) throw new ForbiddenException('Only room admins can ban room moderators');
      }
      const dropped: BanResult['dropped'] = [];
      for (const room of rooms) {
        const result = await this.repo.writeOverride(room.id, userId, { [shadow ? 'shadowBanned' : 'banned']: true, moderator: false, admin: false }, db);
        const status = statusOf(result.before);
        if (status) dropped.push({ room: room.token, status });
        if (modFlags(result.before) !== modFlags(result.after)) await this.rooms.bumpInfoUpdatesOf([room.id], db);
        // A shadow-banned user must see nothing change, their activity included.
        if (!shadow) await this.repo.deleteRoomActivity(room.id, userId, db);
        await this.repo.replaceBanFutures(room.id, userId, unbanAt, db, shadow);
      }
      await this.users.commitTarget(target, db);
      await this.audit.record(
        rooms.map((room) => ({ actor: actorOf(by), action: 'ban' as const, room, target: target.user.sessionId, details: { timeout: timeoutSeconds, shadow } })),
        db,
      );
      return { dropped };
    });
    this.plugins.banChanged({ banned: true, timeout: timeoutSeconds, shadow }, banned, target.user.sessionId, actorOf(by));
    return outcome;
  }

  /** Lifts the ban and the shadow ban at that level only, with any unban scheduled there (protocol §6.8). */
  async unban(sessionId: string, scope: ModerationScope, by?: AuthenticatedUser): Promise<UnbanResult> {
    const actor = by ?? (await this.users.getSystemUser());
    const target = await this.users.resolveTarget(sessionId);
    const userId = target.user.id;
    if ('global' in scope) {
      if (!isGlobalModerator(actor)) throw new ForbiddenException('Global moderator permission required');
      const lifted = await this.repo.transaction(async (db) => {
        const flags = await this.repo.lockUser(userId, db);
        await this.repo.updateUserFlags(userId, { banned: false, shadowBanned: false }, db);
        await this.repo.replaceBanFutures(null, userId, null, db);
        await this.repo.replaceBanFutures(null, userId, null, db, true);
        await this.audit.record({ actor: actorOf(by), action: 'unban', target: target.user.sessionId, details: { global: true } }, db);
        return { before: [{ room: null, banned: Boolean(flags?.banned || flags?.shadowBanned) }] };
      });
      this.plugins.banChanged({ banned: false }, null, target.user.sessionId, actorOf(by));
      return lifted;
    }
    let unbanned: Room[] = [];
    const outcome = await this.repo.transaction(async (db) => {
      const rooms = (unbanned = await this.roomsFor(actor, scope.rooms, 'moderator', db));
      const before: UnbanResult['before'] = [];
      for (const room of rooms) {
        const result = await this.repo.updateOverrideIfExists(room.id, userId, { banned: false, shadowBanned: false }, db);
        before.push({ room: room.token, banned: Boolean(result.before?.banned || result.before?.shadowBanned) });
        await this.repo.replaceBanFutures(room.id, userId, null, db);
        await this.repo.replaceBanFutures(room.id, userId, null, db, true);
      }
      await this.audit.record(
        rooms.map((room) => ({ actor: actorOf(by), action: 'unban' as const, room, target: target.user.sessionId })),
        db,
      );
      return { before };
    });
    this.plugins.banChanged({ banned: false }, unbanned, target.user.sessionId, actorOf(by));
    return outcome;
  }

  // ---- trusted users (issue 14 item 2; src/moderation/standing.service.ts)

  /**
   * Sets or clears the trusted flag in the listed rooms (room moderators) or on the whole server
   * (global moderators). Trusted users are exempt from the rules for new and untrusted users.
   */
  async setTrusted(sessionId: string, scope: ModerationScope, trusted: boolean, by?: AuthenticatedUser): Promise<void> {
    const actor = by ?? (await this.users.getSystemUser());
    const target = await this.users.resolveTarget(sessionId);
    const userId = target.user.id;
    const action = trusted ? 'trust' : 'untrust';
    if ('global' in scope) {
      if (!isGlobalModerator(actor)) throw new ForbiddenException('Global moderator permission required');
      await this.repo.transaction(async (db) => {
        await this.repo.updateUserFlags(userId, { trusted }, db);
        await this.users.commitTarget(target, db);
        await this.audit.record({ actor: actorOf(by), action, target: target.user.sessionId, details: { global: true } }, db);
      });
      return;
    }
    await this.repo.transaction(async (db) => {
      const rooms = await this.roomsFor(actor, scope.rooms, 'moderator', db);
      for (const room of rooms) {
        if (trusted) await this.repo.writeOverride(room.id, userId, { trusted }, db);
        else await this.repo.updateOverrideIfExists(room.id, userId, { trusted }, db);
      }
      await this.users.commitTarget(target, db);
      await this.audit.record(
        rooms.map((room) => ({ actor: actorOf(by), action, room, target: target.user.sessionId })),
        db,
      );
    });
  }

  /** Trusted flags in force, global ones included; one room's or all (CLI `trust list`). */
  trustedUsers(room: Room | null): Promise<TrustRow[]> {
    return this.repo.trusted(room?.id ?? null);
  }

  // ---- mutes (issue 14 item 6)

  /**
   * Mutes in the listed rooms (room moderators) or on the whole server (global moderators) for
   * `seconds`: write (posting, editing, deleting, uploading) is refused with a 403 naming the reason
   * and the end, which the apply-futures job brings. Kept apart from the `write` override, so the
   * end restores whatever was there. Moderators cannot be muted. A new mute replaces the old one.
   */
  async mute(sessionId: string, scope: ModerationScope, seconds: number, reason: string | null, by?: AuthenticatedUser): Promise<{ until: number }> {
    const until = this.clock.seconds() + delaySeconds(seconds, 'duration');
    const muteReason = this.muteReason(reason);
    const actor = by ?? (await this.users.getSystemUser());
    const target = await this.users.resolveTarget(sessionId);
    const userId = target.user.id;
    if (userId === actor.id) throw new ForbiddenException('You cannot mute yourself');
    if (isGlobalModerator(target.user)) throw new ForbiddenException('Moderators and admins cannot be muted');
    const entry = { actor: actorOf(by), action: 'mute' as const, target: target.user.sessionId, reason: muteReason };
    if ('global' in scope) {
      if (!isGlobalModerator(actor)) throw new ForbiddenException('Global moderator permission required');
      await this.repo.transaction(async (db) => {
        await this.repo.updateUserFlags(userId, { mutedUntil: until, muteReason }, db);
        await this.users.commitTarget(target, db);
        await this.audit.record({ ...entry, details: { global: true, duration: seconds, until } }, db);
      });
      return { until };
    }
    await this.repo.transaction(async (db) => {
      const rooms = await this.roomsFor(actor, scope.rooms, 'moderator', db);
      const overrides = await this.repo.overridesOfUser(
        userId,
        rooms.map((r) => r.id),
        db,
      );
      if (overrides.some((o) => o.moderator || o.admin)) throw new ForbiddenException('Moderators and admins cannot be muted');
      for (const room of rooms) await this.repo.writeOverride(room.id, userId, { mutedUntil: until, muteReason }, db);
      await this.users.commitTarget(target, db);
      await this.audit.record(
        rooms.map((room) => ({ ...entry, room, details: { duration: seconds, until } })),
        db,
      );
    });
    return { until };
  }

  /** Mutes in force now (global ones included), with their end and reason; one room's or all (CLI `mute list`). */
  mutes(room: Room | null): Promise<MuteRow[]> {
    return this.repo.mutes(room?.id ?? null, this.clock.seconds());
  }

  /** Ends a mute at that level now. */
  async unmute(sessionId: string, scope: ModerationScope, by?: AuthenticatedUser): Promise<void> {
    const actor = by ?? (await this.users.getSystemUser());
    const target = await this.users.resolveTarget(sessionId);
    const userId = target.user.id;
    const cleared = { mutedUntil: null, muteReason: null };
    if ('global' in scope) {
      if (!isGlobalModerator(actor)) throw new ForbiddenException('Global moderator permission required');
      await this.repo.transaction(async (db) => {
        await this.repo.updateUserFlags(userId, cleared, db);
        await this.audit.record({ actor: actorOf(by), action: 'unmute', target: target.user.sessionId, details: { global: true } }, db);
      });
      return;
    }
    await this.repo.transaction(async (db) => {
      const rooms = await this.roomsFor(actor, scope.rooms, 'moderator', db);
      for (const room of rooms) await this.repo.updateOverrideIfExists(room.id, userId, cleared, db);
      await this.audit.record(
        rooms.map((room) => ({ actor: actorOf(by), action: 'unmute' as const, room, target: target.user.sessionId })),
        db,
      );
    });
  }

  /** A mute's reason as stored: trimmed, control characters removed, empty = none; too long → 400. */
  private muteReason(reason: string | null): string | null {
    // eslint-disable-next-line no-control-regex
    const text = (reason ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
    if ([...text].length > this.config.MUTE_REASON_MAX_CHARS) throw new BadRequestException(`A mute reason is at most ${this.config.MUTE_REASON_MAX_CHARS} characters`);
    return text || null;
  }

  // ---- per-room overrides and futures (protocol §6.7)

  /** Every override row of the room, keyed by session id. */
  async roomPermissions(room: Room): Promise<Record<string, PermissionObject>> {
    const rows = await this.repo.roomOverrides(room.id);
    return Object.fromEntries(rows.map((o) => [o.sessionId, permissionObject(o)]));
  }

  /** One user's override (`{}` when none; 05 ids resolve to a known blinded user, protocol §2.4). */
  async userPermissions(room: Room, sessionId: string): Promise<PermissionObject> {
    const user = await this.users.findTarget(sessionId);
    return user ? permissionObject(await this.repo.override(room.id, user.id)) : {};
  }

  /**
   * Sets/clears a user's read/accessible/write/upload overrides and (unless `unschedule` is false)
   * drops scheduled changes of the flags named. Returns the new permission object.
   */
  async setPermissions(room: Room, sessionId: string, change: PermissionChange, by?: AuthenticatedUser): Promise<PermissionObject> {
    const patch: OverridePatch = {};
    for (const flag of PERMISSION_FLAGS) {
      const value = change[flag] ?? null;
      const toDefault = change[`default_${flag}`] === true;
      if (value !== null && toDefault) throw new BadRequestException(`Cannot use '${flag}' together with 'default_${flag}'`);
      if (value !== null) patch[flag] = value;
      else if (toDefault) patch[flag] = null;
    }
    if (Object.keys(patch).length === 0) throw new BadRequestException('No permission changes given');
    await this.requireRoomModerator(room, by);
    const target = await this.users.resolveTarget(sessionId);
    return this.repo.transaction(async (db) => {
      if (change.unschedule !== false) {
        await this.repo.clearPermissionFutures(
          room.id,
          target.user.id,
          FUTURE_FLAGS.filter((f) => f in patch),
          db,
        );
      }
      const { after } = await this.repo.writeOverride(room.id, target.user.id, patch, db);
      await this.users.commitTarget(target, db);
      await this.audit.record(
        { actor: actorOf(by), action: 'permissions.set', room, target: target.user.sessionId, details: { ...patch, unschedule: change.unschedule !== false } },
        db,
      );
      return permissionObject(after);
    });
  }

  /** Schedules a read/write/upload change `inSeconds` from now; returns the user's futures. */
  async schedulePermissions(room: Room, sessionId: string, change: FuturePermissionChange, inSeconds: number, by?: AuthenticatedUser): Promise<FutureObject[]> {
    const flags: FuturePermissionChange = {};
    for (const flag of FUTURE_FLAGS) if (change[flag] != null) flags[flag] = change[flag];
    if (Object.keys(flags).length === 0) throw new BadRequestException("At least one of 'read', 'write' and 'upload' is required");
    const at = this.clock.seconds() + delaySeconds(inSeconds, 'in');
    await this.requireRoomModerator(room, by);
    const target = await this.users.resolveTarget(sessionId);
    await this.repo.transaction(async (db) => {
      await this.repo.addPermissionFuture(room.id, target.user.id, at, flags, db);
      await this.users.commitTarget(target, db);
      await this.audit.record({ actor: actorOf(by), action: 'permissions.schedule', room, target: target.user.sessionId, details: { ...flags, at } }, db);
    });
    return this.userFutures(room, target.user.id);
  }

  /** Moderators and admins: global ones, and per room (one room's, or every room's when null); CLI `mods list`. */
  moderators(room: Room | null): Promise<ModeratorRow[]> {
    return this.repo.moderators(room?.id ?? null);
  }

  /** Bans and shadow bans in force (global ones included), with their scheduled end; one room or all (CLI `bans list`). */
  bans(room: Room | null): Promise<BanRow[]> {
    return this.repo.bans(room?.id ?? null);
  }

  /** Scheduled permission changes and room (un)bans, by time (protocol §6.7). */
  async roomFutures(room: Room): Promise<FutureObject[]> {
    return (await this.repo.futures(room.id)).map((f) => futureObject(f, true));
  }

  async userFuturesBySessionId(room: Room, sessionId: string): Promise<FutureObject[]> {
    const user = await this.users.findTarget(sessionId);
    return user ? this.userFutures(room, user.id) : [];
  }

  private async userFutures(room: Room, userId: number): Promise<FutureObject[]> {
    return (await this.repo.futures(room.id, userId)).map((f) => futureObject(f, false));
  }

  /** Room default permissions (CLI `--add-perms/--remove-perms` without users, protocol §10.1). */
  async setRoomDefaults(room: Room, defaults: RoomDefaultsChange): Promise<void> {
    if (Object.keys(defaults).length === 0) throw new BadRequestException('No permission changes given');
    await this.rooms.updateRoom(room, {
      default_read: defaults.read,
      default_accessible: defaults.accessible,
      default_write: defaults.write,
      default_upload: defaults.upload,
    });
  }

  // ---- room moderation settings (issue 14 item 7; src/moderation/room-moderation.ts)

  /** The settings in force in the room and which of them are the room's own. */
  roomModeration(room: Room): { own: Partial<RoomModeration>; effective: RoomModeration } {
    return { own: ownRoomModeration(room), effective: roomModeration(room, this.config) };
  }

  /** Changes the room's own settings (null: back to the server default); 400 naming a bad one. */
  async setRoomModeration(room: Room, change: RoomModerationChange, by?: AuthenticatedUser): Promise<{ own: Partial<RoomModeration>; effective: RoomModeration }> {
    const parsed = roomModerationChangeSchema.safeParse(change);
    if (!parsed.success) throw new BadRequestException(`Invalid room moderation settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (Object.keys(parsed.data).length === 0) throw new BadRequestException('No moderation settings given');
    await this.requireRoomModerator(room, by);
    return this.roomModeration(await this.rooms.updateModerationColumns(room, parsed.data, by));
  }

  /** Looks a room up by token for admin callers (CLI); 404 if unknown. */
  async roomByToken(token: string): Promise<Room> {
    const [room] = await this.rooms.roomsByTokens([token]);
    if (!room) throw new NotFoundException(`No such room: ${token}`);
    return room;
  }

  // ---- periodic work (protocol §9.4 step 5)

  /**
   * Applies due permission futures and (un)bans, then deletes them, and ends due mutes. Rows are
   * claimed with SKIP LOCKED, so several workers never apply one twice. Returns how many were applied.
   */
  @OnJob(JobName.ApplyFutures, { every: 'CLEANUP_INTERVAL' })
  async applyDueFutures(at: number = this.clock.seconds()): Promise<{ permissions: number; bans: number; mutes: number }> {
    let permissions = 0;
    let bans = 0;
    let mutes = 0;
    for (;;) {
      const applied = await this.repo.transaction(async (db) => {
        const due = await this.repo.duePermissionFutures(at, FUTURES_BATCH, db);
        const rooms = new Map<number, Room | null>();
        for (const f of due) {
          if (!rooms.has(f.roomId)) rooms.set(f.roomId, await this.rooms.roomById(f.roomId, db));
          const room = rooms.get(f.roomId);
          if (!room) continue;
          const current = await this.repo.override(f.roomId, f.userId, db);
          const patch: OverridePatch = {};
          for (const flag of FUTURE_FLAGS) patch[flag] = futureValue(f[flag], current?.[flag] ?? null, room[flag]);
          await this.repo.writeOverride(f.roomId, f.userId, patch, db);
          await this.audit.record({ actor: 'system', action: 'permissions.apply', room, target: f.sessionId, details: patch }, db);
        }
        await this.repo.deletePermissionFutures(
          due.map((f) => f.id),
          db,
        );
        const dueBans = await this.repo.dueBanFutures(at, FUTURES_BATCH, db);
        const banChanges: Array<{ banned: boolean; shadow: boolean; rooms: Room[] | null; sessionId: string }> = [];
        for (const b of dueBans) {
          const flag = b.shadow ? { shadowBanned: b.banned } : { banned: b.banned };
          if (b.roomId === null) await this.repo.updateUserFlags(b.userId, flag, db);
          else await this.repo.writeOverride(b.roomId, b.userId, flag, db);
          const room = b.roomId === null ? null : await this.rooms.roomById(b.roomId, db);
          await this.audit.record({ actor: 'system', action: b.banned ? 'ban' : 'unban', room, target: b.sessionId, details: { global: b.roomId === null, shadow: b.shadow } }, db);
          // A room deleted meanwhile has nobody left to tell about.
          if (room || b.roomId === null) banChanges.push({ banned: b.banned, shadow: b.shadow, rooms: room && [room], sessionId: b.sessionId });
        }
        await this.repo.deleteBanFutures(
          dueBans.map((b) => b.id),
          db,
        );
        const dueMutes = await this.repo.dueMutes(at, FUTURES_BATCH, db);
        for (const m of dueMutes) {
          const cleared = { mutedUntil: null, muteReason: null };
          if (m.roomId === null) await this.repo.updateUserFlags(m.userId, cleared, db);
          else await this.repo.writeOverride(m.roomId, m.userId, cleared, db);
          const room = m.roomId === null ? null : await this.rooms.roomById(m.roomId, db);
          await this.audit.record({ actor: 'system', action: 'unmute', room, target: m.sessionId, details: { global: m.roomId === null, ended: true } }, db);
        }
        return { permissions: due.length, bans: dueBans.length, mutes: dueMutes.length, banChanges };
      });
      // Told once committed, as a moderator's (un)ban is (the end of a timed ban is an `unbanned` by `system`).
      for (const c of applied.banChanges) this.plugins.banChanged(c.banned ? { banned: true, timeout: null, shadow: c.shadow } : { banned: false }, c.rooms, c.sessionId, 'system');
      permissions += applied.permissions;
      bans += applied.bans;
      mutes += applied.mutes;
      if (applied.permissions < FUTURES_BATCH && applied.bans < FUTURES_BATCH && applied.mutes < FUTURES_BATCH) break;
    }
    if (permissions || bans || mutes) this.logger.log(`Applied ${permissions} scheduled permission change(s) and ${bans} scheduled (un)ban(s); ended ${mutes} mute(s)`);
    return { permissions, bans, mutes };
  }

  // ---- helpers

  /**
   * The rooms a scope names, each requiring `need` of the actor: listed tokens must all exist and
   * pass (else 403, protocol §13); `*` means every room where the actor passes (none → 403).
   */
  private async roomsFor(actor: AuthenticatedUser, tokens: string[], need: PermissionNeed, db: Prisma.TransactionClient): Promise<Room[]> {
    const message = need === 'admin' ? 'Admin permission required in every listed room' : 'Moderator permission required in every listed room';
    const all = tokens[0] === '*';
    const unique = [...new Set(tokens.map((t) => t.toLowerCase()))];
    const rooms = all ? await this.rooms.allRooms(db) : await this.rooms.roomsByTokens(unique, db);
    if (!all && rooms.length !== unique.length) throw new ForbiddenException(message);
    const perms = await this.rooms.permissionsIn(actor, rooms, db);
    const allowed = rooms.filter((r) => hasPermission(perms.get(r.id)!, need));
    if (allowed.length === 0 || (!all && allowed.length !== rooms.length)) throw new ForbiddenException(message);
    return allowed;
  }

  /** Room moderator check for callers that did not come through the route guard (the CLI). */
  private async requireRoomModerator(room: Room, by?: AuthenticatedUser): Promise<void> {
    if (!by) return;
    if (!hasPermission(await this.rooms.permissionsFor(room, by), 'moderator')) {
      throw new ForbiddenException('This endpoint requires moderator room permissions');
    }
  }

  // ---- what operators look up (CLI `bans list`, the console's People view)

  /** Everything moderation knows of a Session id (05, or 15 in either blinded form): one entry per user row it can be. */
  async person(sessionId: string): Promise<PersonIdentity[]> {
    const users = await this.users.identities(sessionId);
    return Promise.all(
      users.map(async (u) => ({
        sessionId: u.sessionId,
        created: u.created,
        lastActive: u.lastActive,
        banned: u.banned,
        bannedUntil: u.banned ? await this.repo.globalUnbanAt(u.id) : null,
        moderator: u.moderator,
        admin: u.admin,
        trusted: u.trusted,
        mutedUntil: u.mutedUntil,
        muteReason: u.muteReason,
        rooms: await this.repo.roomStanding(u.id),
      })),
    );
  }

  // ---- import from another server (CLI `import pysogs`): insert-if-absent, as the source had them

  importOverride(o: OverrideFlags & { roomId: number; userId: number }): Promise<number> {
    return this.repo.importOverride(o);
  }

  importPermissionFuture(f: { roomId: number; userId: number; at: number; read: boolean | null; write: boolean | null; upload: boolean | null }): Promise<number> {
    return this.repo.importPermissionFuture(f);
  }

  importBanFuture(f: { roomId: number | null; userId: number; at: number; banned: boolean }): Promise<number> {
    return this.repo.importBanFuture(f);
  }
}
