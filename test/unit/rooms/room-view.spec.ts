import { effectivePermissions, hasPermission } from '../../../src/rooms/permissions';
import { moderatorLists, roomJson } from '../../../src/rooms/room-view';
import type { Room } from '../../../src/generated/prisma/client';
import { roomRow } from '../support/fakes';

const room: Room = roomRow({ id: 1, token: 'Test-Room', name: 'Test', created: 1.5, messageSequence: 3, infoUpdates: 2, write: false });

describe('moderator lists (protocol §6.2)', () => {
  it('merges room and global moderators; room row decides visibility', () => {
    const lists = moderatorLists(
      [
        { sessionId: '15c', admin: false, visible: true },
        { sessionId: '15g', admin: false, visible: true },
        { sessionId: '15h', admin: true, visible: false },
      ],
      [
        { sessionId: '15g', admin: true, visible: false },
        { sessionId: '15z', admin: false, visible: false },
        { sessionId: '15a', admin: false, visible: true },
      ],
    );
    expect(lists).toEqual({ moderators: ['15a', '15c'], admins: ['15g'], hiddenModerators: ['15z'], hiddenAdmins: ['15h'] });
  });
});

describe('room object', () => {
  const mods = { moderators: ['15m'], admins: [], hiddenModerators: ['15x'], hiddenAdmins: [] };
  it('shows defaults and hidden lists only to moderators', () => {
    const anon = roomJson(room, effectivePermissions(room, null, null, 0), mods, [], 604800);
    expect(anon).toEqual({
      token: 'Test-Room',
      name: 'Test',
      info_updates: 2,
      message_sequence: 3,
      created: 1.5,
      active_users: 0,
      active_users_cutoff: 604800,
      moderators: ['15m'],
      admins: [],
      read: true,
      write: false,
      upload: false,
    });
    const gmod = roomJson(room, effectivePermissions(room, { banned: false, moderator: true, admin: false }, null, 0), mods, [{ id: 1, pinned_at: 2, pinned_by: '15m' }], 604800);
    expect(gmod).toMatchObject({ hidden_moderators: ['15x'], moderator: true, global_moderator: true, default_write: false, write: true, pinned_messages: [{ id: 1 }] });
    expect(gmod).not.toHaveProperty('admin');
    expect(gmod).not.toHaveProperty('hidden_admins');
  });
});

describe('permission matrix (protocol §3.5)', () => {
  const user = { banned: false, moderator: false, admin: false };
  const none = { banned: false, read: null, accessible: null, write: null, upload: null, moderator: false, admin: false };
  it.each([
    ['default user', user, null, { accessible: true, read: true, write: false, upload: false, moderator: false, admin: false }],
    ['write override', user, { ...none, write: true }, { read: true, write: true, upload: true, moderator: false }],
    ['room-banned', user, { ...none, banned: true }, { accessible: false, read: false, write: false, upload: false }],
    ['globally banned', { ...user, banned: true }, null, { accessible: false, read: false }],
    ['read=false accessible', user, { ...none, read: false }, { accessible: true, read: false }],
    ['secret room (no access)', user, { ...none, read: false, accessible: false }, { accessible: false, read: false }],
    ['room moderator', user, { ...none, moderator: true }, { read: true, write: true, upload: true, moderator: true, admin: false }],
    ['room admin', user, { ...none, moderator: true, admin: true }, { moderator: true, admin: true }],
    ['global moderator', { ...user, moderator: true }, null, { write: true, moderator: true, admin: false }],
    ['global admin', { ...user, moderator: true, admin: true }, null, { moderator: true, admin: true }],
  ] as const)('%s', (_name, flags, override, expected) => {
    const p = effectivePermissions(room, flags, override, 0);
    for (const [need, value] of Object.entries(expected)) expect([need, hasPermission(p, need as 'read')]).toEqual([need, value]);
  });
});
