// JSON shape of a room (protocol §6.2) and of pollInfo. Pure.
import type { Room } from '../generated/prisma/client';
import { hasPermission, type RoomPermissions } from './permissions';

export interface ModeratorEntry {
  sessionId: string;
  admin: boolean;
  visible: boolean;
}

export interface ModeratorLists {
  moderators: string[];
  admins: string[];
  hiddenModerators: string[];
  hiddenAdmins: string[];
}

/**
 * Merges room-level and global moderators (protocol §6.2): admin at either level lists as admin;
 * visibility comes from the room row when there is one, else from the global flag.
 */
export function moderatorLists(roomMods: readonly ModeratorEntry[], globalMods: readonly ModeratorEntry[]): ModeratorLists {
  const merged = new Map<string, ModeratorEntry>();
  for (const g of globalMods) merged.set(g.sessionId, { ...g });
  for (const r of roomMods) {
    const g = merged.get(r.sessionId);
    merged.set(r.sessionId, { sessionId: r.sessionId, admin: r.admin || (g?.admin ?? false), visible: r.visible });
  }
  const lists: ModeratorLists = { moderators: [], admins: [], hiddenModerators: [], hiddenAdmins: [] };
  for (const m of merged.values()) {
    if (m.visible) (m.admin ? lists.admins : lists.moderators).push(m.sessionId);
    else (m.admin ? lists.hiddenAdmins : lists.hiddenModerators).push(m.sessionId);
  }
  for (const list of [lists.moderators, lists.admins, lists.hiddenModerators, lists.hiddenAdmins]) list.sort();
  return lists;
}

export interface PinnedJson {
  id: number;
  pinned_at: number;
  pinned_by: string;
}

export type RoomJson = Record<string, unknown>;

/** The requester's own permission fields, shared by the room object and pollInfo (protocol §6.2). */
export function permissionFields(room: Room, p: RoomPermissions): Record<string, boolean> {
  const fields: Record<string, boolean> = {
    read: hasPermission(p, 'read'),
    write: hasPermission(p, 'write'),
    upload: hasPermission(p, 'upload'),
  };
  if (p.moderator) fields.moderator = true;
  if (p.admin) fields.admin = true;
  if (p.globalModerator) fields.global_moderator = true;
  if (p.globalAdmin) fields.global_admin = true;
  if (p.moderator) {
    fields.default_read = room.read;
    fields.default_accessible = room.accessible;
    fields.default_write = room.write;
    fields.default_upload = room.upload;
  }
  return fields;
}

export function roomJson(room: Room, p: RoomPermissions, mods: ModeratorLists, pins: readonly PinnedJson[], activeUsersCutoff: number): RoomJson {
  const json: RoomJson = { token: room.token, name: room.name };
  if (room.description !== null) json.description = room.description;
  json.info_updates = room.infoUpdates;
  json.message_sequence = room.messageSequence;
  json.created = room.created;
  json.active_users = room.activeUsers;
  json.active_users_cutoff = activeUsersCutoff;
  if (room.imageId !== null) json.image_id = room.imageId;
  if (pins.length) json.pinned_messages = pins;
  json.moderators = mods.moderators;
  json.admins = mods.admins;
  if (p.moderator) {
    if (mods.hiddenModerators.length) json.hidden_moderators = mods.hiddenModerators;
    if (mods.hiddenAdmins.length) json.hidden_admins = mods.hiddenAdmins;
  }
  return { ...json, ...permissionFields(room, p) };
}
