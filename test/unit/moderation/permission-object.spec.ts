import { futureObject, futureValue, permissionObject, type OverrideFlags } from '../../../src/moderation/permission-object';

const none: OverrideFlags = { banned: false, read: null, accessible: null, write: null, upload: null, moderator: false, admin: false, visibleMod: true };

describe('permissionObject (protocol §6.7)', () => {
  it('is {} without a row', () => {
    expect(permissionObject(null)).toEqual({});
  });

  it('lists only set flags, banned only when true', () => {
    expect(permissionObject({ ...none, read: true, write: false })).toEqual({ read: true, write: false });
    expect(permissionObject({ ...none, banned: true, upload: false })).toEqual({ banned: true, upload: false });
  });

  it('shows exactly one of admin/moderator, and hidden for hidden ones', () => {
    expect(permissionObject({ ...none, moderator: true })).toEqual({ moderator: true });
    expect(permissionObject({ ...none, moderator: true, admin: true })).toEqual({ admin: true });
    expect(permissionObject({ ...none, moderator: true, visibleMod: false })).toEqual({ moderator: true, hidden: true });
    // visible_mod only matters for moderators
    expect(permissionObject({ ...none, read: false, visibleMod: false })).toEqual({ read: false });
  });
});

describe('futureValue (protocol §6.7 application of a due future)', () => {
  it('null leaves the current override', () => {
    expect(futureValue(null, false, true)).toBe(false);
    expect(futureValue(null, null, true)).toBeNull();
  });

  it('a value equal to the room default clears the override', () => {
    expect(futureValue(true, false, true)).toBeNull();
    expect(futureValue(false, true, false)).toBeNull();
  });

  it('any other value is set', () => {
    expect(futureValue(false, null, true)).toBe(false);
    expect(futureValue(true, null, false)).toBe(true);
  });
});

describe('futureObject', () => {
  it('keeps non-null flags and at; session_id only for room lists', () => {
    const f = { sessionId: '15ab', at: 12.5, read: null, write: true, upload: null, banned: null };
    expect(futureObject(f, true)).toEqual({ session_id: '15ab', at: 12.5, write: true });
    expect(futureObject(f, false)).toEqual({ at: 12.5, write: true });
    expect(futureObject({ ...f, write: null, banned: false }, false)).toEqual({ at: 12.5, banned: false });
  });
});
