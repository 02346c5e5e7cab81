import { checkPattern, CompiledContentRules, effectivePolicy, roomContentPolicySchema, type ContentPolicy } from '../../../src/rooms/content-rules';
import { readCommunityMessage } from '../../../src/rooms/message-filter';
import { communityMessageData, MESSAGE_FORMS, pad } from '../../support/session-messages';

const OFF: ContentPolicy = {
  maxChars: { limit: 0, action: 'refuse' },
  mentions: { limit: 0, action: 'refuse' },
  words: { list: [], action: 'silent' },
  patterns: { list: [], action: 'refuse' },
  unreadable: 'allow',
  links: 'allow',
  newUserAttachments: 'allow',
  slowMode: { posts: 0, seconds: 16 },
  quotas: { postsPerDay: 0, uploadBytesPerDay: 0, reactionsPerMinute: 0 },
};
const rules = (room: object) => new CompiledContentRules(effectivePolicy(roomContentPolicySchema.parse(room), OFF), 4000);

describe('reading a community message in each form (protocol §7.6)', () => {
  it.each(MESSAGE_FORMS)('%s: body and display name', (form) => {
    const read = readCommunityMessage(communityMessageData(form, 'héllo there', 'Alice'));
    expect(read).toEqual({ form, body: 'héllo there', displayName: 'Alice', attachments: 0, previews: 0 });
  });

  it.each(MESSAGE_FORMS)('%s: attachment pointers and link previews are counted', (form) => {
    const read = readCommunityMessage(communityMessageData(form, 'look', undefined, { attachments: 2, preview: 'https://example.com' }));
    expect(read).toMatchObject({ form, body: 'look', attachments: 2, previews: 1 });
  });

  it('a padded envelope reads the same; bytes that are no protobuf are unreadable', () => {
    const envelope = communityMessageData('envelope', 'padded too');
    expect(readCommunityMessage(pad(envelope))).toMatchObject({ form: 'envelope', body: 'padded too' });
    expect(readCommunityMessage(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBeNull();
    expect(readCommunityMessage(Buffer.from('plain text, no protobuf\x07'))).toBeNull();
  });
});

describe('content rules (issue 15 item 5)', () => {
  const text = (body: string, displayName = '') => ({ body, displayName });

  it('off by default: nothing matches and the post path reads nothing', () => {
    const r = rules({});
    expect(r.idle).toBe(true);
    expect(r.check(text('anything @05' + 'a'.repeat(64)))).toBeNull();
  });

  it('maximum characters counts characters, not bytes', () => {
    const r = rules({ maxChars: { limit: 5, action: 'refuse' } });
    expect(r.check(text('ééééé'))).toBeNull();
    expect(r.check(text('éééééé'))).toMatchObject({ rule: 'max_chars', action: 'refuse' });
  });

  it('mentions flooding counts Session-id mentions', () => {
    const r = rules({ mentions: { limit: 2, action: 'silent' } });
    const m = (n: number) => Array.from({ length: n }, (_, i) => `@05${String(i).padStart(64, '0')}`).join(' ');
    expect(r.check(text(m(2)))).toBeNull();
    expect(r.check(text(m(3)))).toMatchObject({ rule: 'mentions', action: 'silent' });
  });

  it('room words are folded: full-width and confusable letters do not get past them', () => {
    const r = rules({ words: { list: ['spam'], action: 'refuse' } });
    expect(r.check(text('buy ｓｐａｍ now'))).toMatchObject({ rule: 'words' });
    expect(r.check(text('buy ѕраm now'))).toMatchObject({ rule: 'words' });
    expect(r.check(text('hi', 'spam king'))).toMatchObject({ rule: 'words' });
    expect(r.check(text('spammer'))).toBeNull();
  });

  it('patterns match raw or folded text', () => {
    const r = rules({ patterns: { list: ['t\\.me/\\w+'], action: 'refuse' } });
    expect(r.check(text('join t.me/raid'))).toMatchObject({ rule: 'patterns' });
    expect(r.check(text('join ｔ.ｍｅ/raid'))).toMatchObject({ rule: 'patterns' });
    expect(r.check(text('nothing here'))).toBeNull();
  });

  it('catastrophic or oversized patterns are refused when set', () => {
    expect(checkPattern('(a+)+$')).toMatch(/nests repetition/);
    expect(checkPattern('(\\w)\\1')).toMatch(/back-references/);
    expect(checkPattern('a'.repeat(201))).toMatch(/1 to 200/);
    expect(checkPattern('[')).toMatch(/not a valid/);
    expect(checkPattern('^free \\w+ here$')).toBeNull();
    expect(roomContentPolicySchema.safeParse({ patterns: { list: ['(x*)*y'], action: 'refuse' } }).success).toBe(false);
  });

  it('unreadable messages follow the room action', () => {
    expect(rules({}).check(null)).toBeNull();
    expect(rules({ unreadable: 'refuse' }).check(null)).toMatchObject({ rule: 'unreadable', action: 'refuse' });
  });
});

describe('rules about the author (issue 15 item 5; standing from issue 14)', () => {
  const newcomer = { untrusted: true, restrictedNewUser: true };
  const member = { untrusted: true, restrictedNewUser: false };
  const trusted = { untrusted: false, restrictedNewUser: false };

  it('links from untrusted users: a URL or a preview; trusted users and unlinked text pass', () => {
    const r = rules({ links: 'hold' });
    expect(r.idle).toBe(false);
    for (const body of ['see https://evil.example', 'go to www.evil.example', 'sessionthing://x'])
      expect([body, r.needsStanding({ body, displayName: '' }), r.check({ body, displayName: '' }, member)]).toEqual([
        body,
        true,
        expect.objectContaining({ rule: 'links', action: 'hold' }),
      ]);
    expect(r.check({ body: 'look', displayName: '', previews: 1 }, member)).toMatchObject({ rule: 'links' });
    expect(r.check({ body: 'https://ok.example', displayName: '' }, trusted)).toBeNull();
    expect(r.needsStanding({ body: 'no link, e.g. or a.b', displayName: '' })).toBe(false);
  });

  it('attachments from restricted new users only', () => {
    const r = rules({ newUserAttachments: 'refuse' });
    const withFile = { body: '', displayName: '', attachments: 1 };
    expect(r.needsStanding(withFile)).toBe(true);
    expect(r.check(withFile, newcomer)).toMatchObject({ rule: 'new_user_attachments', action: 'refuse' });
    expect(r.check(withFile, member)).toBeNull();
    expect(r.needsStanding({ body: 'text only', displayName: '' })).toBe(false);
  });
});
