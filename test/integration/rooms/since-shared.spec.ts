// Shared `since` replies (issue 18 item 2, src/rooms/since-results.ts): every viewer gets through
// the sharing server exactly the bytes a server without sharing (SINCE_SHARED_ENTRIES=0) gives them,
// over a room holding every kind of row the visibility rule (src/rooms/visibility.ts) treats apart:
// held, shadow and reported posts, whispers to a user and to the moderators, a tombstone, hidden and
// visible reactions, a reaction-only update. And a change made through one replica reaches the
// other's shared replies.
import { Client } from 'pg';
import { SogsClient } from '../../../src/client';
import { ChangeFeed } from '../../../src/cache/change-feed';
import type { RunningServer } from '../../../src/server';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { createRoom, grantRoom, post, userOf } from '../../support/rooms-fixtures';

const ROOM = 'shared';
const AFTERS = [0, 1, 2, 3, 5, 8, 9];
const OPTIONS = ['?t=r&reactors=5', '?t=r', '', '?t=r&limit=2', '?limit=3&reactors=1', '?t=r&reactors=0&limit=4'];

describe('shared since replies', () => {
  let ctx: TestContext;
  let direct: RunningServer;
  let other: RunningServer;
  const viewers: Record<string, { seed?: Uint8Array }> = {
    anonymous: {},
    plain: { seed: new Uint8Array(32).fill(1) },
    poster: { seed: new Uint8Array(32).fill(2) },
    author: { seed: new Uint8Array(32).fill(3) },
    recipient: { seed: new Uint8Array(32).fill(4) },
    reactor: { seed: new Uint8Array(32).fill(5) },
    hiddenReactor: { seed: new Uint8Array(32).fill(6) },
    moderator: { seed: new Uint8Array(32).fill(7) },
    plainModerator: { seed: new Uint8Array(32).fill(8) },
  };
  const on = (server: RunningServer, name: string) => new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed: viewers[name].seed });
  const paths = AFTERS.flatMap((after) => OPTIONS.map((o) => `/room/${ROOM}/messages/since/${after}${o}`));

  /** Every since path as the viewer gets it from `server`, as raw bodies. */
  async function bodies(server: RunningServer, name: string): Promise<string[]> {
    const client = on(server, name);
    const res = await client.batch(paths.map((path) => ({ method: 'GET' as const, path })));
    expect(res.code).toBe(200);
    return res.items.map((s) => {
      expect(s.code).toBe(200);
      return JSON.stringify(s.body);
    });
  }

  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0 } });
    direct = await ctx.startReplica({ SINCE_SHARED_ENTRIES: 0 });
    other = await ctx.startReplica();
    const room = await createRoom(ctx, ROOM);
    const id: Record<string, number> = {};
    for (const name of Object.keys(viewers)) if (viewers[name].seed) id[name] = (await userOf(ctx, on(ctx.server, name))).id;
    for (const mod of ['moderator', 'plainModerator']) await grantRoom(ctx, ROOM, on(ctx.server, mod));
    const data = (text: string) => Buffer.from(text);
    // seqno: [author, fields]; seqnoData = seqno unless said, seqnoCreation = seqno unless said.
    const rows: Array<{ seqno: number; userId: number; [k: string]: unknown }> = [
      { seqno: 1, userId: id.poster, data: data('one') },
      { seqno: 2, userId: id.author, data: data('reported'), hidden: 'reported', seqnoCreation: 1 },
      { seqno: 3, userId: id.author, data: data('held'), hidden: 'held' },
      { seqno: 4, userId: id.author, data: data('shadow'), hidden: 'shadow' },
      { seqno: 5, userId: id.moderator, data: data('to recipient'), whisperToId: id.recipient },
      { seqno: 6, userId: id.moderator, data: data('to mods'), whisperMods: true },
      { seqno: 7, userId: id.poster, data: data('reacted') },
      { seqno: 8, userId: id.poster, data: null, seqnoCreation: 3 },
      { seqno: 10, userId: id.poster, data: data('reaction only'), seqnoData: 1, seqnoCreation: 1, seqnoReactions: 10 },
    ];
    const ids: number[] = [];
    for (const { seqno, ...fields } of rows) {
      const m = await ctx.prisma.message.create({ data: { roomId: room.id, seqno, seqnoData: seqno, seqnoCreation: seqno, ...fields } });
      ids.push(m.id);
    }
    const reactOn = async (messageId: number, reaction: string, who: Array<[string, boolean]>) => {
      const r = await ctx.prisma.reaction.create({ data: { messageId, reaction } });
      await ctx.prisma.userReaction.createMany({ data: who.map(([name, hidden], i) => ({ reactionId: r.id, userId: id[name], hidden, at: 100 + i })) });
    };
    await reactOn(ids[6], '👍', [
      ['reactor', false],
      ['hiddenReactor', true],
      ['moderator', false],
    ]);
    await reactOn(ids[6], '🙈', [['hiddenReactor', true]]);
    await reactOn(ids[8], '🔥', [['reactor', false]]);
    await ctx.prisma.room.update({ where: { id: room.id }, data: { messageSequence: 10 } });
    // Sharing needs the change feed listening (it connects on first use).
    const feed = ctx.server.app.get(ChangeFeed);
    await eventually(() => feed.live, 10_000, 'change feed live');
  });
  afterAll(() => ctx?.close());

  it('gives every viewer exactly the reply of the server without sharing, whoever asked first', async () => {
    const names = Object.keys(viewers);
    // Plain viewers first (they fill the shared replies), then everyone, twice (the second round is all hits).
    for (const order of [['plain', 'plainModerator', ...names], [...names].reverse()]) {
      for (const name of order) {
        const [shared, own] = await Promise.all([bodies(ctx.server, name), bodies(direct, name)]);
        for (const [i, body] of shared.entries()) expect([name, paths[i], body]).toEqual([name, paths[i], own[i]]);
      }
    }
    // The rows tell the viewers apart (so the comparison above compared different replies).
    const all = async (name: string) => (await bodies(direct, name))[0];
    expect(new Set(await Promise.all(names.map(all))).size).toBeGreaterThanOrEqual(6);
  });

  it('is shared: a plain viewer gets the kept reply, a viewer with something personal their own', async () => {
    const plainBefore = (await bodies(ctx.server, 'plain'))[0];
    // Changed behind the servers' backs (no seqno moves, nothing is announced): only a kept reply stays as it was.
    await ctx.prisma.$executeRaw`UPDATE messages SET data = ${Buffer.from('changed')} WHERE seqno = 1 AND room = (SELECT id FROM rooms WHERE token = ${ROOM})`;
    expect((await bodies(ctx.server, 'plain'))[0]).toBe(plainBefore);
    expect((await bodies(ctx.server, 'anonymous'))[0]).toBe(plainBefore);
    const changed = Buffer.from('changed').toString('base64');
    expect((await bodies(direct, 'plain'))[0]).toContain(changed);
    for (const personal of ['author', 'recipient', 'reactor', 'hiddenReactor', 'moderator']) expect((await bodies(ctx.server, personal))[0]).toContain(changed);
  });

  it('a post through another replica ends the kept replies', async () => {
    const changed = Buffer.from('changed').toString('base64');
    expect((await bodies(ctx.server, 'plain'))[0]).not.toContain(changed);
    const m = await post(on(other, 'poster'), ROOM);
    await eventually(async () => expect((await bodies(ctx.server, 'plain'))[0]).toContain(`"id":${m.id},`));
    expect((await bodies(ctx.server, 'plain'))[0]).toContain(changed);
    // And the other replica's own shared replies match the direct ones too.
    for (const name of Object.keys(viewers)) expect(await bodies(other, name)).toEqual(await bodies(direct, name));
  });

  it('reads a reply in one statement, the shared one with its personal users and no transaction around it', async () => {
    const query = jest.spyOn(Client.prototype, 'query');
    const texts = () => query.mock.calls.map(([q]) => (typeof q === 'string' ? q : (q as { text: string }).text));
    // A query no one asked before: the shared load (with the personal users), then hits, and a personal viewer's own read.
    const ask = (name: string) => on(ctx.server, name).get(`/room/${ROOM}/messages/since/0?t=r&reactors=3&limit=7`);
    try {
      const asked: string[][] = [];
      for (const name of ['plain', 'anonymous', 'plain', 'reactor']) {
        query.mockClear();
        expect((await ask(name)).code).toBe(200);
        asked.push(texts().filter((t) => /\bFROM messages m\b|^(BEGIN|COMMIT)/.test(t)));
      }
      const own = expect.not.stringMatching(/FROM messages m WHERE m\.room = \$\d+ AND m\.seqno > \$\d+ AND m\.whisper IS NOT NULL/);
      const withPersonal = expect.stringMatching(/array\(\s*SELECT m\.whisper AS id/);
      // plain: the shared load; anonymous and plain again: the kept reply; reactor (personal): own.
      expect(asked).toEqual([[withPersonal], [], [], [own]]);
    } finally {
      query.mockRestore();
    }
  });
});
