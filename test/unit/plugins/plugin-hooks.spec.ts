import { noPlugins, FixedClock, roomRow } from '../support/fakes';
import type { AuthenticatedUser } from '../../../src/users/authenticated-user';

// issue 16 item 5: with no plugin configured, a hook is a length check that hands back what it was
// given, synchronously: no event is built, no promise made, nothing awaited.
describe('plugin hooks with no plugin', () => {
  const hooks = noPlugins(new FixedClock(1_700_000_000));
  const room = roomRow({ id: 1, token: 'lobby' });
  const user = { id: 2, sessionId: `15${'a'.repeat(64)}` } as AuthenticatedUser;
  const msg = { data: new Uint8Array(8), files: [], whisperTo: null, whisperMods: false };

  it('answer at once with the decision they were given', () => {
    const held = { action: 'hold', by: 'rule:words' } as const;
    const standingOf = jest.fn(() => Promise.resolve({ moderator: false, trusted: false, newUser: true }));
    expect(hooks.beforePost(held, room, user, msg, { moderator: false, trusted: false }, standingOf)).toBe(held);
    expect(standingOf).not.toHaveBeenCalled();
    expect(hooks.beforeReaction(room, user, 1, '👍')).toBe(false);
    expect(hooks.beforeUpload(room, user, new Uint8Array(32), 10)).toBeUndefined();
    expect(hooks.beforeBotDm(user, `15${'b'.repeat(64)}`, new Uint8Array(8))).toBe('allow');
  });
});
