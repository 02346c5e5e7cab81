// Effective room permissions (protocol §3.5). Pure: callers load the room defaults, the user's global
// flags and their room override row, and ask at a moment (a room's lockdown ends by itself).

export interface RoomDefaults {
  read: boolean;
  accessible: boolean;
  write: boolean;
  upload: boolean;
}

/** A room's lockdown (issue 15 item 2): until an epoch time, with the operator's reason. */
export interface RoomLockdown {
  lockdownUntil?: number | null;
  lockdownReason?: string | null;
}

/** A lockdown in force that restricts a user: until when, and why. */
export interface Lockdown {
  until: number;
  reason: string | null;
}

/** A mute in force (issue 14 item 6): write refused until `until` (epoch seconds), with the moderator's reason. */
export interface Mute {
  until: number;
  reason: string | null;
  /** Muted on the whole server rather than in this room. */
  global: boolean;
}

/** The mute columns of a user row and of an override row (NULL until = not muted). */
export interface MuteColumns {
  mutedUntil?: number | null;
  muteReason?: string | null;
}

export interface GlobalFlags extends MuteColumns {
  banned: boolean;
  /** Issue 14: posts and reactions answered as usual but seen by them and moderators only. */
  shadowBanned?: boolean;
  /** Issue 14 item 2: exempt from the rules for new and untrusted users (src/moderation/standing.service.ts). */
  trusted?: boolean;
  moderator: boolean;
  admin: boolean;
}

export interface RoomOverride extends MuteColumns {
  banned: boolean;
  shadowBanned?: boolean;
  trusted?: boolean;
  read: boolean | null;
  accessible: boolean | null;
  write: boolean | null;
  upload: boolean | null;
  moderator: boolean;
  admin: boolean;
}

export interface RoomPermissions {
  banned: boolean;
  /** Shadow-banned here or globally; never true for moderators (src/rooms/visibility.ts). */
  shadowBanned: boolean;
  /** Trusted here or globally (the raw flag: moderators are exempt anyway, see standing.service.ts). */
  trusted: boolean;
  read: boolean;
  accessible: boolean;
  write: boolean;
  upload: boolean;
  moderator: boolean;
  admin: boolean;
  globalModerator: boolean;
  globalAdmin: boolean;
  /**
   * The room's lockdown when it restricts this user (issue 15 item 2): no posting, reacting or
   * uploading (write and upload are false, so clients show the room read-only). Null for trusted
   * users, moderators, and when there is none or it has ended.
   */
  lockdown: Lockdown | null;
  /** Muted here or globally and not yet ended (write is then false); never set for moderators. */
  mute: Mute | null;
}

/** `user` null = anonymous: room defaults, not banned, not a moderator. `now`: epoch seconds. */
export function effectivePermissions(room: RoomDefaults & RoomLockdown, user: GlobalFlags | null, override: RoomOverride | null, now: number): RoomPermissions {
  const lockdown = room.lockdownUntil != null && room.lockdownUntil > now ? { until: room.lockdownUntil, reason: room.lockdownReason ?? null } : null;
  if (!user) {
    return {
      banned: false,
      shadowBanned: false,
      trusted: false,
      ...locked(pick(room), lockdown),
      moderator: false,
      admin: false,
      globalModerator: false,
      globalAdmin: false,
      lockdown,
      mute: null,
    };
  }
  const banned = user.banned || (override?.banned ?? false);
  const trusted = (user.trusted ?? false) || (override?.trusted ?? false);
  // users.admin implies users.moderator (protocol §3.5), so a global admin is also a global moderator.
  const globalModerator = user.moderator || user.admin;
  if (globalModerator) {
    return {
      banned,
      shadowBanned: false,
      trusted,
      read: true,
      accessible: true,
      write: true,
      upload: true,
      moderator: true,
      admin: user.admin || (override?.admin ?? false),
      globalModerator,
      globalAdmin: user.admin,
      lockdown: null,
      mute: null,
    };
  }
  const admin = override?.admin ?? false;
  const moderator = admin || (override?.moderator ?? false);
  const restricted = moderator || trusted ? null : lockdown;
  const mute = moderator ? null : muteOf(user, override, now);
  const own = {
    read: override?.read ?? room.read,
    accessible: override?.accessible ?? room.accessible,
    write: mute ? false : (override?.write ?? room.write),
    upload: override?.upload ?? room.upload,
  };
  return {
    banned,
    shadowBanned: !moderator && ((user.shadowBanned ?? false) || (override?.shadowBanned ?? false)),
    trusted,
    ...locked(own, restricted),
    moderator,
    admin,
    globalModerator: false,
    globalAdmin: false,
    lockdown: restricted,
    mute,
  };
}

/**
 * The room's mute or the global one, whichever ends later; a mute whose end has passed is over
 * already (the apply-futures job then clears its columns).
 */
function muteOf(user: MuteColumns, override: MuteColumns | null, now: number): Mute | null {
  const inRoom = override?.mutedUntil != null && override.mutedUntil > now ? { until: override.mutedUntil, reason: override.muteReason ?? null, global: false } : null;
  const global = user.mutedUntil != null && user.mutedUntil > now ? { until: user.mutedUntil, reason: user.muteReason ?? null, global: true } : null;
  if (!inRoom || !global) return inRoom ?? global;
  return global.until > inRoom.until ? global : inRoom;
}

/** The 403 text of a write or upload refused by a mute (protocol §3.4 carries it as the body). */
export function muteRefusal(mute: Mute): string {
  const until = new Date(mute.until * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const where = mute.global ? 'on this server' : 'in this room';
  return `You are muted ${where} until ${until} UTC${mute.reason ? `: ${mute.reason}` : ''}`;
}

/** Under a lockdown, no write and no upload. */
function locked(p: RoomDefaults, lockdown: Lockdown | null): RoomDefaults {
  return lockdown ? { ...p, write: false, upload: false } : p;
}

/** `react`: adding a reaction other than a report (protocol §6.4 needs read; a lockdown also stops it, not a report). */
export type PermissionNeed = 'admin' | 'moderator' | 'read' | 'accessible' | 'write' | 'upload' | 'react';

/** pysogs `check_permission`: admin passes everything, moderator everything but admin. */
export function hasPermission(p: RoomPermissions, need: PermissionNeed): boolean {
  if (p.admin) return true;
  if (need === 'admin') return false;
  if (p.moderator) return true;
  if (need === 'moderator') return false;
  if (p.banned) return false;
  switch (need) {
    case 'accessible':
      return p.accessible || p.read;
    case 'read':
      return p.read;
    case 'react':
      return p.read && p.lockdown === null;
    case 'write':
      return p.write;
    case 'upload':
      return p.write && p.upload;
  }
}

function pick(room: RoomDefaults): RoomDefaults {
  return { read: room.read, accessible: room.accessible, write: room.write, upload: room.upload };
}
