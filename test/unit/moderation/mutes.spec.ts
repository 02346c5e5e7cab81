import { permissionObject } from '../../../src/moderation/permission-object';
import { effectivePermissions, hasPermission, muteRefusal } from '../../../src/rooms/permissions';
import { roomRow } from '../support/fakes';

// Issue 14 item 6: a mute is a timed write=false with a reason, per room or global, never for moderators.

const room = roomRow({ id: 1, token: 'lobby' });
const plain = { banned: false, moderator: false, admin: false };
const override = { banned: false, read: null, accessible: null, write: null, upload: null, moderator: false, admin: false };

describe('mutes in effective permissions', () => {
  it('a room mute refuses write and upload, keeps read; the refusal names the reason and the end', () => {
    const p = effectivePermissions(room, plain, { ...override, mutedUntil: 1_800_000_000, muteReason: 'spam' }, 0);
    expect(p.mute).toEqual({ until: 1_800_000_000, reason: 'spam', global: false });
    expect([hasPermission(p, 'read'), hasPermission(p, 'write'), hasPermission(p, 'upload')]).toEqual([true, false, false]);
    expect(muteRefusal(p.mute!)).toBe('You are muted in this room until 2027-01-15 08:00 UTC: spam');
  });

  it('a global mute, without a reason; the later of a room and a global mute wins', () => {
    const g = effectivePermissions(room, { ...plain, mutedUntil: 100 }, null, 0);
    expect(muteRefusal(g.mute!)).toBe('You are muted on this server until 1970-01-01 00:01 UTC');
    expect(effectivePermissions(room, { ...plain, mutedUntil: 100 }, { ...override, mutedUntil: 200 }, 0).mute).toMatchObject({ until: 200, global: false });
    expect(effectivePermissions(room, { ...plain, mutedUntil: 300 }, { ...override, mutedUntil: 200 }, 0).mute).toMatchObject({ until: 300, global: true });
  });

  it('a mute whose end has passed is over, before the job clears it', () => {
    expect(effectivePermissions(room, { ...plain, mutedUntil: 100 }, { ...override, mutedUntil: 100 }, 100).mute).toBeNull();
    expect(hasPermission(effectivePermissions(room, plain, { ...override, mutedUntil: 100 }, 101), 'write')).toBe(true);
  });

  it('moderators (room or global) are never muted', () => {
    const roomMod = effectivePermissions(room, plain, { ...override, moderator: true, mutedUntil: 100 }, 0);
    const globalMod = effectivePermissions(room, { ...plain, moderator: true, mutedUntil: 100 }, null, 0);
    for (const p of [roomMod, globalMod]) {
      expect(p.mute).toBeNull();
      expect(hasPermission(p, 'write')).toBe(true);
    }
  });

  it('moderators see a muted user as write=false (protocol §6.7 permission object)', () => {
    expect(permissionObject({ ...override, visibleMod: true, mutedUntil: 100, muteReason: 'x' })).toEqual({ write: false });
    expect(permissionObject({ ...override, write: true, visibleMod: true, mutedUntil: 100 })).toEqual({ write: false });
    expect(permissionObject({ ...override, write: true, visibleMod: true, mutedUntil: null })).toEqual({ write: true });
  });
});
