import { canSeeMessage, canSeeReaction, sinceShape, type Viewer } from '../../../src/rooms/visibility';

const AUTHOR = 1;
const OTHER = 2;
const viewers: Record<string, Viewer> = {
  anonymous: { userId: null, moderator: false },
  author: { userId: AUTHOR, moderator: false },
  other: { userId: OTHER, moderator: false },
  moderator: { userId: 9, moderator: true },
};
const message = (hidden: string | null) => ({ userId: AUTHOR, hidden, whisperToId: null, whisperMods: false, seqnoCreation: 5 });

describe('the visibility rule (issue 14, src/rooms/visibility.ts)', () => {
  it.each([
    [null, { anonymous: true, author: true, other: true, moderator: true }],
    ['held', { anonymous: false, author: true, other: false, moderator: true }],
    ['shadow', { anonymous: false, author: true, other: false, moderator: true }],
    ['reported', { anonymous: false, author: true, other: false, moderator: true }],
  ])('a message hidden=%s is seen by its author and moderators only', (hidden, expected) => {
    expect(Object.fromEntries(Object.entries(viewers).map(([name, v]) => [name, canSeeMessage(message(hidden), v)]))).toEqual(expected);
  });

  it('the whisper rule still applies on top (protocol §7.4)', () => {
    const toOther = { ...message(null), whisperToId: OTHER };
    expect(canSeeMessage(toOther, viewers.other)).toBe(true);
    expect(canSeeMessage(toOther, viewers.anonymous)).toBe(false);
    expect(canSeeMessage({ ...message(null), whisperMods: true }, viewers.other)).toBe(false);
    expect(canSeeMessage({ ...message('held'), whisperMods: true }, viewers.moderator)).toBe(true);
  });

  it('since: a message hidden by reports reaches those who may not see it as a deletion, once it existed for them; held and shadow posts never do', () => {
    expect(sinceShape(message('reported'), viewers.other, 5)).toBe('tombstone');
    expect(sinceShape(message('reported'), viewers.other, 4)).toBe('none');
    expect(sinceShape(message('reported'), viewers.author, 4)).toBe('full');
    expect(sinceShape(message('held'), viewers.other, 5)).toBe('none');
    expect(sinceShape(message('shadow'), viewers.anonymous, 9)).toBe('none');
    expect(sinceShape(message('shadow'), viewers.moderator, 0)).toBe('full');
    expect(sinceShape(message(null), viewers.other, 0)).toBe('full');
  });

  it('a hidden reaction (shadow-banned reactor, report) counts for its reactor and moderators only', () => {
    const hidden = { userId: AUTHOR, hidden: true };
    expect(canSeeReaction(hidden, viewers.author)).toBe(true);
    expect(canSeeReaction(hidden, viewers.moderator)).toBe(true);
    expect(canSeeReaction(hidden, viewers.other)).toBe(false);
    expect(canSeeReaction(hidden, viewers.anonymous)).toBe(false);
    expect(canSeeReaction({ userId: AUTHOR, hidden: false }, viewers.anonymous)).toBe(true);
  });
});
