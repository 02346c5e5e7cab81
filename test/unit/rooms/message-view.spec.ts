import { buildReactions, messageJson, sinceRowJson, type MessageFields, type ReactionRow } from '../../../src/rooms/message-view';

const row = (message: number, reactionId: number, reaction: string, count: number, you: boolean, sessionId: string, at: number): ReactionRow => ({
  message,
  reactionId,
  reaction,
  count,
  you,
  sessionId,
  at,
});

const message = (over: Partial<MessageFields> = {}): MessageFields => ({
  id: 7,
  sessionId: '15aa',
  posted: 100.5,
  edited: null,
  seqno: 10,
  seqnoData: 10,
  seqnoReactions: 0,
  data: new Uint8Array([1, 2, 3]),
  signature: new Uint8Array(64),
  whisperTo: null,
  whisperMods: false,
  ...over,
});

describe('buildReactions (protocol §6.3 reactions block)', () => {
  const rows = [row(1, 9, '👍', 3, true, 'a', 1), row(1, 9, '👍', 3, true, 'b', 2), row(1, 4, '❤️', 1, false, 'c', 3), row(2, 11, 'y/n', 1, false, 'd', 4)];

  it('indexes reactions by creation order and truncates reactors', () => {
    const block = buildReactions(rows, 1);
    expect(block.get(1)).toEqual({ '❤️': { index: 0, count: 1, reactors: ['c'] }, '👍': { index: 1, count: 3, reactors: ['a'], you: true } });
    expect(block.get(2)).toEqual({ 'y/n': { index: 0, count: 1, reactors: ['d'] } });
  });

  it('omits reactors entirely when reactors=0 but keeps counts and you', () => {
    expect(buildReactions(rows, 0).get(1)).toEqual({ '❤️': { index: 0, count: 1 }, '👍': { index: 1, count: 3, you: true } });
  });
});

describe('message JSON (protocol §6.3, §7.2)', () => {
  it('renders a regular message with an empty reactions object', () => {
    expect(messageJson(message(), undefined)).toEqual({ id: 7, session_id: '15aa', posted: 100.5, seqno: 10, data: 'AQID', signature: 'A'.repeat(86) + '==', reactions: {} });
  });

  it('renders tombstones without signature or reactions', () => {
    expect(messageJson(message({ data: null, signature: null, edited: 120 }), { x: { index: 0, count: 1 } })).toEqual({
      id: 7,
      session_id: '15aa',
      posted: 100.5,
      seqno: 10,
      edited: 120,
      data: null,
      deleted: true,
    });
  });

  it('marks whispers', () => {
    expect(messageJson(message({ whisperTo: '15bb' }), {})).toMatchObject({ whisper: true, whisper_mods: false, whisper_to: '15bb' });
    const mods = messageJson(message({ whisperMods: true }), {});
    expect(mods).toMatchObject({ whisper: true, whisper_mods: true });
    expect(mods).not.toHaveProperty('whisper_to');
    expect(messageJson(message(), {})).not.toHaveProperty('whisper');
  });

  it('gives a reaction-only row exactly when only reactions changed after S', () => {
    const m = message({ seqno: 12, seqnoData: 10, seqnoReactions: 12 });
    expect(sinceRowJson(m, 10, {})).toEqual({ id: 7, seqno: 12, reactions: {} });
    expect(sinceRowJson(m, 11, {})).toEqual({ id: 7, seqno: 12, reactions: {} });
    expect(sinceRowJson(m, 9, {})).toHaveProperty('data');
  });
});
