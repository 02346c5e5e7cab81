// The moderation state in memory, as ModerationRepository, UsersRepository and (for rooms and their
// info_updates) RoomsRepository see it: users with
// their global flags, rooms, per-room overrides and scheduled (un)bans and permission changes. An
// override that says nothing beyond the room defaults is deleted, as the real repository does.
import type { Room, User, UserPermissionOverride } from '../../../src/generated/prisma/client';
import {
  isDefaultOverride,
  type DueBanFuture,
  type DueMute,
  type DuePermissionFuture,
  type FutureRow,
  type ModerationRepository,
  type OverridePatch,
  type PermissionFlagsPatch,
  type UserFlags,
} from '../../../src/moderation/moderation.repository';
import type { RoomsRepository } from '../../../src/rooms/rooms.repository';
import type { UsersRepository } from '../../../src/users/users.repository';
import { SYSTEM_USER_ID } from '../../../src/users/system-user';
import { InMemoryRows, overrideRow, roomRow } from '../support/fakes';

type ModerationUsed =
  | 'transaction'
  | 'override'
  | 'writeOverride'
  | 'updateOverrideIfExists'
  | 'deleteRoomActivity'
  | 'lockUser'
  | 'updateUserFlags'
  | 'replaceBanFutures'
  | 'clearPermissionFutures'
  | 'addPermissionFuture'
  | 'futures'
  | 'duePermissionFutures'
  | 'dueBanFutures'
  | 'dueMutes'
  | 'deletePermissionFutures'
  | 'deleteBanFutures';
type RoomsUsed = 'roomsByTokens' | 'allRooms' | 'roomById' | 'override' | 'overridesOfUser' | 'bumpInfoUpdatesOf';
type UsersUsed = 'findBySessionId' | 'findById' | 'upsert' | 'importOrCreateBlinded' | 'recordNeedsBlinding';

type BanFuture = Omit<DueBanFuture, 'sessionId'> & { at: number };
type PermissionFuture = Omit<DuePermissionFuture, 'sessionId'> & { at: number };

interface State {
  users: Map<number, User>;
  rooms: Map<number, Room>;
  overrides: Map<string, UserPermissionOverride>;
  banFutures: BanFuture[];
  permissionFutures: PermissionFuture[];
  /** (room, user) pairs whose activity rows were deleted */
  activityDeleted: string[];
}

const key = (roomId: number, userId: number) => `${roomId}:${userId}`;

export class FakeModerationData
  extends InMemoryRows<State>
  implements Pick<ModerationRepository, ModerationUsed>, Pick<RoomsRepository, RoomsUsed>, Pick<UsersRepository, UsersUsed>
{
  private nextId = 1;

  constructor() {
    super({ users: new Map(), rooms: new Map(), overrides: new Map(), banFutures: [], permissionFutures: [], activityDeleted: [] });
    this.addUser('ff'.repeat(33), {}, SYSTEM_USER_ID);
    this.updateUser(SYSTEM_USER_ID, { moderator: true, admin: true });
  }

  addUser(sessionId: string, flags: Partial<Pick<User, 'banned' | 'moderator' | 'admin' | 'visibleMod'>> = {}, id = this.nextId++): User {
    const user: User = {
      id,
      sessionId,
      canonicalId: sessionId,
      created: 0,
      lastActive: 0,
      banned: false,
      moderator: false,
      admin: false,
      visibleMod: false,
      shadowBanned: false,
      trusted: false,
      mutedUntil: null,
      muteReason: null,
      ...flags,
    };
    this.state.users.set(id, user);
    return user;
  }

  addRoom(token: string, defaults: Partial<Pick<Room, 'read' | 'accessible' | 'write' | 'upload'>> = {}): Room {
    const room = roomRow({ id: this.nextId++, token, ...defaults });
    this.state.rooms.set(room.id, room);
    return room;
  }

  user(id: number): User {
    return this.state.users.get(id)!;
  }

  room(id: number): Room {
    return this.state.rooms.get(id)!;
  }

  userOf(id: number): User | null {
    return this.state.users.get(id) ?? null;
  }

  overrideOf(roomId: number, userId: number): UserPermissionOverride | null {
    return this.state.overrides.get(key(roomId, userId)) ?? null;
  }

  get banFutures(): readonly BanFuture[] {
    return this.state.banFutures;
  }

  get activityDeleted(): readonly string[] {
    return this.state.activityDeleted;
  }

  private updateUser(id: number, data: Partial<User>): void {
    Object.assign(this.state.users.get(id)!, data);
  }

  // ---- ModerationRepository

  // ---- RoomsRepository (rooms, overrides as access reads them, info_updates); override is shared

  async roomsByTokens(tokens: string[]): Promise<Room[]> {
    const wanted = new Set(tokens.map((t) => t.toLowerCase()));
    return [...this.state.rooms.values()].filter((r) => wanted.has(r.token.toLowerCase())).map((r) => ({ ...r }));
  }

  async allRooms(): Promise<Room[]> {
    return [...this.state.rooms.values()].map((r) => ({ ...r }));
  }

  async roomById(id: number): Promise<Room | null> {
    const room = this.state.rooms.get(id);
    return room ? { ...room } : null;
  }

  async override(roomId: number, userId: number): Promise<UserPermissionOverride | null> {
    const o = this.state.overrides.get(key(roomId, userId));
    return o ? { ...o } : null;
  }

  async overridesOfUser(userId: number, roomIds: number[]): Promise<UserPermissionOverride[]> {
    return roomIds.flatMap((roomId) => {
      const o = this.state.overrides.get(key(roomId, userId));
      return o ? [{ ...o }] : [];
    });
  }

  // ---- ModerationRepository again

  /** Room moderator/admin rights (fixtures). */
  grant(roomId: number, userId: number, flags: { moderator?: boolean; admin?: boolean }): void {
    this.write(roomId, userId, { ...flags, visibleMod: true });
  }

  async writeOverride(roomId: number, userId: number, patch: OverridePatch): Promise<{ before: UserPermissionOverride | null; after: UserPermissionOverride | null }> {
    return this.write(roomId, userId, patch);
  }

  private write(roomId: number, userId: number, patch: OverridePatch): { before: UserPermissionOverride | null; after: UserPermissionOverride | null } {
    const stored = this.state.overrides.get(key(roomId, userId));
    const before = stored ? { ...stored } : null;
    const written: UserPermissionOverride = {
      ...(before ?? overrideRow(roomId, userId)),
      ...patch,
    };
    if (isDefaultOverride(written)) {
      this.state.overrides.delete(key(roomId, userId));
      return { before, after: null };
    }
    this.state.overrides.set(key(roomId, userId), written);
    return { before, after: { ...written } };
  }

  async updateOverrideIfExists(roomId: number, userId: number, patch: OverridePatch): Promise<{ before: UserPermissionOverride | null; after: UserPermissionOverride | null }> {
    if (!this.state.overrides.has(key(roomId, userId))) return { before: null, after: null };
    return this.write(roomId, userId, patch);
  }

  async deleteRoomActivity(roomId: number, userId: number): Promise<void> {
    this.state.activityDeleted.push(key(roomId, userId));
  }

  async bumpInfoUpdatesOf(roomIds: number[] | null): Promise<void> {
    for (const room of this.state.rooms.values()) if (roomIds === null || roomIds.includes(room.id)) room.infoUpdates++;
  }

  async lockUser(userId: number): Promise<UserFlags | null> {
    const u = this.state.users.get(userId);
    return u ? { banned: u.banned, shadowBanned: u.shadowBanned, moderator: u.moderator, admin: u.admin, visibleMod: u.visibleMod } : null;
  }

  async updateUserFlags(
    userId: number,
    data: { banned?: boolean; shadowBanned?: boolean; trusted?: boolean; moderator?: boolean; admin?: boolean; visibleMod?: boolean },
  ): Promise<void> {
    this.updateUser(userId, data);
  }

  async replaceBanFutures(roomId: number | null, userId: number, unbanAt: number | null, _db?: unknown, shadow = false): Promise<void> {
    this.state.banFutures = this.state.banFutures.filter((f) => !(f.roomId === roomId && f.userId === userId && f.shadow === shadow));
    if (unbanAt !== null) this.state.banFutures.push({ id: this.nextId++, roomId, userId, at: unbanAt, banned: false, shadow });
  }

  async clearPermissionFutures(roomId: number, userId: number, flags: Array<'read' | 'write' | 'upload'>): Promise<void> {
    for (const f of this.state.permissionFutures) if (f.roomId === roomId && f.userId === userId) for (const flag of flags) f[flag] = null;
    this.state.permissionFutures = this.state.permissionFutures.filter((f) => f.read !== null || f.write !== null || f.upload !== null);
  }

  async addPermissionFuture(roomId: number, userId: number, at: number, flags: PermissionFlagsPatch): Promise<void> {
    this.state.permissionFutures.push({ id: this.nextId++, roomId, userId, at, read: flags.read ?? null, write: flags.write ?? null, upload: flags.upload ?? null });
  }

  async futures(roomId: number, userId?: number): Promise<FutureRow[]> {
    const sessionId = (id: number) => this.state.users.get(id)!.sessionId;
    const rows = [
      ...this.state.permissionFutures.map((f) => ({ ...f, banned: null, kind: 0 })),
      ...this.state.banFutures.map((f) => ({ ...f, read: null, write: null, upload: null, kind: 1 })),
    ].filter((f) => f.roomId === roomId && (userId === undefined || f.userId === userId));
    rows.sort((a, b) => a.at - b.at || a.kind - b.kind || a.id - b.id);
    return rows.map((f) => ({ sessionId: sessionId(f.userId), at: f.at, read: f.read, write: f.write, upload: f.upload, banned: f.banned }));
  }

  async duePermissionFutures(now: number, limit: number): Promise<DuePermissionFuture[]> {
    return this.state.permissionFutures
      .filter((f) => f.at <= now)
      .slice(0, limit)
      .map(({ at: _at, ...f }) => ({ ...f, sessionId: this.state.users.get(f.userId)!.sessionId }));
  }

  async dueBanFutures(now: number, limit: number): Promise<DueBanFuture[]> {
    return this.state.banFutures
      .filter((f) => f.at <= now)
      .slice(0, limit)
      .map(({ at: _at, ...f }) => ({ ...f, sessionId: this.state.users.get(f.userId)!.sessionId }));
  }

  async dueMutes(now: number, limit: number): Promise<DueMute[]> {
    const global = [...this.state.users.values()].filter((u) => u.mutedUntil !== null && u.mutedUntil <= now).map((u) => ({ roomId: null, userId: u.id, sessionId: u.sessionId }));
    const inRooms = [...this.state.overrides.values()]
      .filter((o) => o.mutedUntil !== null && o.mutedUntil <= now)
      .map((o) => ({ roomId: o.roomId, userId: o.userId, sessionId: this.state.users.get(o.userId)!.sessionId }));
    return [...global.slice(0, limit), ...inRooms.slice(0, limit)];
  }

  async deletePermissionFutures(ids: number[]): Promise<void> {
    this.state.permissionFutures = this.state.permissionFutures.filter((f) => !ids.includes(f.id));
  }

  async deleteBanFutures(ids: number[]): Promise<void> {
    this.state.banFutures = this.state.banFutures.filter((f) => !ids.includes(f.id));
  }

  // ---- UsersRepository

  async findBySessionId(sessionId: string): Promise<User | null> {
    return [...this.state.users.values()].find((u) => u.sessionId === sessionId) ?? null;
  }

  async findById(id: number): Promise<User | null> {
    return this.state.users.get(id) ?? null;
  }

  async upsert(sessionId: string): Promise<User> {
    return (await this.findBySessionId(sessionId)) ?? this.addUser(sessionId);
  }

  async importOrCreateBlinded(sessionId: string): Promise<User> {
    return this.upsert(sessionId);
  }

  async recordNeedsBlinding(): Promise<void> {}
}
