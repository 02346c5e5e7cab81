// protocol §14 test_reactions scenarios (protocol §6.4, §7.1, §7.2).
import type { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, grantRoom, messageBody, post } from '../../support/rooms-fixtures';

type Json = Record<string, unknown>;
type Reactions = Record<string, { index: number; count: number; reactors?: string[]; you?: boolean }>;

describe('reactions (protocol §6.4)', () => {
  let ctx: TestContext;
  let users: SogsClient[];
  let mod: SogsClient;
  let n = 0;

  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0 } });
    users = Array.from({ length: 6 }, () => ctx.newUser());
    mod = ctx.newUser();
  });
  afterAll(() => ctx?.close());

  async function room(): Promise<string> {
    const token = `react-${++n}`;
    await createRoom(ctx, token);
    await grantRoom(ctx, token, mod);
    return token;
  }
  const react = async (client: SogsClient, token: string, id: number, reaction: string) => {
    const res = await client.put(`/room/${token}/reaction/${id}/${reaction}`, {});
    expectStatus(res, 200);
    return res.json<{ added: boolean; seqno: number }>();
  };
  const unreact = async (client: SogsClient, token: string, id: number, reaction: string) => {
    const res = await client.delete(`/room/${token}/reaction/${id}/${reaction}`);
    expectStatus(res, 200);
    return res.json<{ removed: boolean; seqno: number }>();
  };
  const since = async (client: SogsClient, token: string, s: number, query = '?t=r&reactors=5') => {
    const res = await client.get(`/room/${token}/messages/since/${s}${query}`);
    expectStatus(res, 200);
    return res.json<Json[]>();
  };

  it('test_reactions: add/remove with seqno arithmetic; reaction-only updates only with t=r', async () => {
    const token = await room();
    const [u1, u2] = users;
    const m1 = await post(u1, token);
    const m2 = await post(u1, token);
    expect([m1.seqno, m2.seqno]).toEqual([1, 2]);
    expect(await react(u1, token, m1.id, '👍')).toEqual({ added: true, seqno: 3 });
    expect(await react(u1, token, m1.id, '👍')).toEqual({ added: false, seqno: 3 });
    expect(await react(u2, token, m1.id, '👍')).toEqual({ added: true, seqno: 4 });
    expect(await react(u2, token, m2.id, '❤️')).toEqual({ added: true, seqno: 5 });
    expect(await unreact(u1, token, m1.id, '👍')).toEqual({ removed: true, seqno: 6 });
    expect(await unreact(u1, token, m1.id, '👍')).toEqual({ removed: false, seqno: 6 });
    expect((await ctx.prisma.room.findFirstOrThrow({ where: { token } })).messageSequence).toBe(6);

    // since/2 with t=r: reaction-only rows; without t=r: nothing (data unchanged)
    expect(await since(u1, token, 2)).toEqual([
      { id: m2.id, seqno: 5, reactions: { '❤️': { index: 0, count: 1, reactors: [u2.sessionId] } } },
      { id: m1.id, seqno: 6, reactions: { '👍': { index: 0, count: 1, reactors: [u2.sessionId] } } },
    ]);
    expect(await since(u1, token, 2, '?reactors=5')).toEqual([]);
    // since/0: full messages with current reactions
    const full = await since(u2, token, 0);
    expect(full.map((m) => [m.id, m.seqno, m.reactions as Reactions])).toEqual([
      [m2.id, 5, { '❤️': { index: 0, count: 1, reactors: [u2.sessionId], you: true } }],
      [m1.id, 6, { '👍': { index: 0, count: 1, reactors: [u2.sessionId], you: true } }],
    ]);
    expect(full[0]).toHaveProperty('data');
  });

  it('test_reaction_encoding: URL-encoded and raw UTF-8 reactions are the same; y/n allowed; bad lengths → 400', async () => {
    const token = await room();
    const m = await post(users[0], token);
    expect(await react(users[0], token, m.id, encodeURIComponent('🍍'))).toMatchObject({ added: true });
    expect(await react(users[0], token, m.id, '🍍')).toMatchObject({ added: false });
    expect(await react(users[0], token, m.id, 'y/n')).toMatchObject({ added: true });
    expect(await react(users[0], token, m.id, '🦒🦍🐍🐊🦢🦁🦎')).toMatchObject({ added: true });
    expect(await react(users[0], token, m.id, '❤️')).toMatchObject({ added: true });
    expectStatus(await users[0].put(`/room/${token}/reaction/${m.id}/${'x'.repeat(13)}`, {}), 400);
    expectStatus(await users[0].put(`/room/${token}/reaction/${m.id}/`, {}), 400);
    expectStatus(await users[0].put(`/room/${token}/reaction/999999/👍`, {}), 404);
    expectStatus(await ctx.anon().put(`/room/${token}/reaction/${m.id}/👍`, {}), 401);
    const res = await users[0].get(`/room/${token}/message/${m.id}`);
    expect(Object.keys(res.json<{ reactions: Reactions }>().reactions)).toEqual(['🍍', 'y/n', '🦒🦍🐍🐊🦢🦁🦎', '❤️']);
  });

  it('test_reactors: truncation, you, reactors=0/3, full list, index ordering after re-add', async () => {
    const token = await room();
    const m = await post(users[0], token);
    for (const u of users) await react(u, token, m.id, '👍');
    await react(users[0], token, m.id, '🎉');
    await react(users[5], token, m.id, '🔥');
    const get = async (client: SogsClient, q: string) => (await client.get(`/room/${token}/message/${m.id}${q}`)).json<{ reactions: Reactions }>().reactions;
    const r = await get(users[5], '?reactors=3');
    expect(r['👍']).toEqual({ index: 0, count: 6, reactors: users.slice(0, 3).map((u) => u.sessionId), you: true });
    expect(r['🎉']).toEqual({ index: 1, count: 1, reactors: [users[0].sessionId] });
    expect(r['🔥']).toEqual({ index: 2, count: 1, reactors: [users[5].sessionId], you: true });
    expect((await get(users[1], '?reactors=0'))['👍']).toEqual({ index: 0, count: 6, you: true });
    expect((await get(ctx.anon(), ''))['👍'].reactors).toHaveLength(4);
    expect((await get(ctx.anon(), '?reactors=100'))['👍'].reactors).toHaveLength(6);

    const reactors = (await users[0].get(`/room/${token}/reactors/${m.id}/👍`)).json<Array<[string, number]>>();
    expect(reactors.map(([sid]) => sid)).toEqual(users.map((u) => u.sessionId));
    expect(typeof reactors[0][1]).toBe('number');
    expect((await users[0].get(`/room/${token}/reactors/${m.id}/👍?limit=2`)).json<unknown[]>()).toHaveLength(2);

    // removing 🎉 entirely and re-adding moves it to the end
    await unreact(users[0], token, m.id, '🎉');
    await react(users[1], token, m.id, '🎉');
    const after = await get(users[1], '');
    expect(Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v.index]))).toEqual({ '👍': 0, '🔥': 1, '🎉': 2 });
  });

  it('test_reaction_edit: an edit after reactions gives the full message; after the edit only the reaction row', async () => {
    const token = await room();
    const m = await post(users[0], token);
    await react(users[1], token, m.id, '👍'); // 2
    expectStatus(await users[0].put(`/room/${token}/message/${m.id}`, messageBody('edited')), 200); // 3
    let rows = await since(users[0], token, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: m.id, seqno: 3, edited: expect.any(Number), reactions: { '👍': { count: 1 } } });
    await react(users[2], token, m.id, '👍'); // 4
    rows = await since(users[0], token, 3);
    expect(rows).toEqual([{ id: m.id, seqno: 4, reactions: { '👍': { index: 0, count: 2, reactors: [users[1].sessionId, users[2].sessionId] } } }]);
  });

  it('test_reaction_moderator: clear one reaction or all (one seqno per removal); mod only', async () => {
    const token = await room();
    const m = await post(users[0], token); // 1
    for (const u of users.slice(0, 3)) await react(u, token, m.id, '👍'); // 2..4
    for (const u of users.slice(0, 2)) await react(u, token, m.id, '❤️'); // 5..6
    await react(users[0], token, m.id, '🎉'); // 7
    const forbidden = await users[1].delete(`/room/${token}/reactions/${m.id}/👍`);
    expectStatus(forbidden, 403);
    expect(forbidden.text()).toBe('This endpoint requires moderator room permissions');
    expectStatus(await ctx.anon().delete(`/room/${token}/reactions/${m.id}`), 401);
    const reactionRows = async () => (await ctx.prisma.reaction.findMany({ where: { messageId: m.id }, orderBy: { id: 'asc' } })).map((r) => r.reaction);
    let res = await mod.delete(`/room/${token}/reactions/${m.id}/👍`);
    expect(res.json()).toEqual({ removed: 3, seqno: 10 });
    // The cleared reaction's row goes with its last user; the others keep theirs.
    expect(await reactionRows()).toEqual(['❤️', '🎉']);
    res = await mod.delete(`/room/${token}/reactions/${m.id}/👍`);
    expect(res.json()).toEqual({ removed: 0, seqno: 10 });
    res = await mod.delete(`/room/${token}/reactions/${m.id}`);
    expect(res.json()).toEqual({ removed: 3, seqno: 13 });
    expect(await reactionRows()).toEqual([]);
    expect((await users[0].get(`/room/${token}/message/${m.id}`)).json<Json>().reactions).toEqual({});
  });

  it('test_reaction_delete: deleting a message removes its reactions, one seqno each, tombstone has none', async () => {
    const token = await room();
    const m = await post(users[0], token); // 1
    await react(users[0], token, m.id, '👍'); // 2
    await react(users[1], token, m.id, '👍'); // 3
    await react(users[1], token, m.id, '🎉'); // 4
    expectStatus(await users[0].delete(`/room/${token}/message/${m.id}`), 200);
    expect((await ctx.prisma.room.findFirstOrThrow({ where: { token } })).messageSequence).toBe(8);
    const rows = await since(users[0], token, 4);
    expect(rows).toEqual([{ id: m.id, seqno: 8, session_id: users[0].sessionId, posted: m.posted, edited: expect.any(Number), data: null, deleted: true }]);
    expect(await ctx.prisma.reaction.count({ where: { messageId: m.id } })).toBe(0);
    expectStatus(await users[0].put(`/room/${token}/reaction/${m.id}/👍`, {}), 404);
  });
});
