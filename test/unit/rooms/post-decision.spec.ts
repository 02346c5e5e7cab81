import { ALLOWED, storedPost } from '../../../src/rooms/post-decision';

// issue 16: a held post is recorded under the name of who held it (the audit's held.hold actor).
describe('storedPost', () => {
  const poster = { shadowBanned: false, heldByMode: false };

  it('a hold is held under its maker: a plugin, a content rule, or the room held mode', () => {
    expect(storedPost({ action: 'hold', by: 'plugin:flood-guard' }, poster)).toEqual({ filtered: false, hidden: 'held', heldBy: 'plugin:flood-guard' });
    expect(storedPost({ action: 'hold', by: 'rule:words' }, { ...poster, heldByMode: true }).heldBy).toBe('rule:words');
    expect(storedPost(ALLOWED, { ...poster, heldByMode: true })).toEqual({ filtered: false, hidden: 'held', heldBy: 'rule:held' });
    expect(storedPost(ALLOWED, poster)).toEqual({ filtered: false, hidden: null, heldBy: null });
  });

  it('a shadow-banned author is hidden as shadow and recorded as held by nobody; silent is filtered', () => {
    expect(storedPost({ action: 'hold', by: 'plugin:guard' }, { shadowBanned: true, heldByMode: true })).toEqual({ filtered: false, hidden: 'shadow', heldBy: null });
    expect(storedPost({ action: 'silent', by: 'plugin:guard' }, poster)).toEqual({ filtered: true, hidden: null, heldBy: null });
  });
});
