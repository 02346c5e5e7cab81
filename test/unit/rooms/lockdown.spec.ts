// Issue 15 item 2: a lockdown is part of the permission computation, so every write path obeys it.
import { effectivePermissions, hasPermission, type RoomDefaults, type RoomLockdown } from '../../../src/rooms/permissions';

const open: RoomDefaults = { read: true, accessible: true, write: true, upload: true };
const room: RoomDefaults & RoomLockdown = { ...open, lockdownUntil: 1000, lockdownReason: 'raid' };
const member = { banned: false, moderator: false, admin: false };
const roomOverride = { banned: false, read: null, accessible: null, write: null, upload: null, moderator: false, admin: false };

describe('lockdown in the permission computation', () => {
  it('until it ends: no write, upload or react for users and anonymous readers; reading goes on', () => {
    for (const user of [member, null]) {
      const p = effectivePermissions(room, user, null, 999);
      expect(p.lockdown).toEqual({ until: 1000, reason: 'raid' });
      expect(['read', 'write', 'upload', 'react'].map((n) => hasPermission(p, n as 'read'))).toEqual([true, false, false, false]);
    }
  });

  it('ends by itself at its time', () => {
    const p = effectivePermissions(room, member, null, 1000);
    expect(p.lockdown).toBeNull();
    expect(hasPermission(p, 'write') && hasPermission(p, 'upload') && hasPermission(p, 'react')).toBe(true);
  });

  it('trusted users (globally or in the room) and moderators are not restricted', () => {
    for (const p of [
      effectivePermissions(room, { ...member, trusted: true }, null, 0),
      effectivePermissions(room, member, { ...roomOverride, trusted: true }, 0),
      effectivePermissions(room, member, { ...roomOverride, moderator: true }, 0),
      effectivePermissions(room, { ...member, moderator: true }, null, 0),
    ]) {
      expect([p.lockdown, hasPermission(p, 'write'), hasPermission(p, 'react')]).toEqual([null, true, true]);
    }
  });

  it('a room that denies writing still denies it after the lockdown; a banned user reacts nowhere', () => {
    expect(hasPermission(effectivePermissions({ ...open, write: false }, member, null, 0), 'write')).toBe(false);
    expect(hasPermission(effectivePermissions(open, { ...member, banned: true }, null, 0), 'react')).toBe(false);
  });
});
