// Issue 19 item 8: one user could add hundreds of distinct reactions to one message (a seqno bump
// each, and every poll carries them all). REACTIONS_MAX_DISTINCT_PER_MESSAGE caps the set.
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, post } from '../../support/rooms-fixtures';

describe('distinct reactions per message are capped (issue 19 item 8)', () => {
  let ctx: TestContext;
  const cap = 4;

  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, REACTIONS_MAX_DISTINCT_PER_MESSAGE: cap } });
    await createRoom(ctx, 'lobby');
  });
  afterAll(() => ctx?.close());

  it('refuses a new distinct reaction past the cap with 409 and a reason; existing ones still take reactors', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    const m = await post(alice, 'lobby');
    const emoji = ['😀', '😁', '😂', '🤣', '😃', '😄'];
    for (const e of emoji.slice(0, cap)) expectStatus(await alice.put(`/room/lobby/reaction/${m.id}/${e}`, {}), 200);
    const seqno = (await ctx.prisma.room.findFirstOrThrow({ where: { token: 'lobby' } })).messageSequence;

    const refused = await alice.put(`/room/lobby/reaction/${m.id}/${emoji[cap]}`, {});
    expect(refused.code).toBe(409);
    expect(refused.text()).toMatch(new RegExp(`at most ${cap} different reactions`));
    // Another user cannot add a new one either; the refusal used up no seqno.
    expect((await bob.put(`/room/lobby/reaction/${m.id}/${emoji[cap + 1]}`, {})).code).toBe(409);
    expect((await ctx.prisma.room.findFirstOrThrow({ where: { token: 'lobby' } })).messageSequence).toBe(seqno);

    // Joining an existing reaction is not a new distinct one.
    expect((await bob.put(`/room/lobby/reaction/${m.id}/${emoji[0]}`, {})).json()).toMatchObject({ added: true });
    // Once one is gone, there is room again.
    expectStatus(await alice.delete(`/room/lobby/reaction/${m.id}/${emoji[1]}`), 200);
    expect((await bob.put(`/room/lobby/reaction/${m.id}/${emoji[cap]}`, {})).json()).toMatchObject({ added: true });
    expect(await ctx.prisma.reaction.count({ where: { messageId: m.id } })).toBe(cap);
  });

  it('concurrent new reactions cannot together pass the cap, and each added one takes its own seqno', async () => {
    const alice = ctx.newUser();
    const m = await post(alice, 'lobby');
    const before = (await ctx.prisma.room.findFirstOrThrow({ where: { token: 'lobby' } })).messageSequence;
    const emoji = ['🍎', '🍐', '🍊', '🍋', '🍌', '🍉', '🍇', '🍓'];
    const users = emoji.map(() => ctx.newUser());
    const replies = await Promise.all(emoji.map((e, i) => users[i].put(`/room/lobby/reaction/${m.id}/${e}`, {})));
    const added = replies.filter((r) => r.code === 200);
    expect(added).toHaveLength(cap);
    expect(replies.filter((r) => r.code === 409)).toHaveLength(emoji.length - cap);
    expect(await ctx.prisma.reaction.count({ where: { messageId: m.id } })).toBe(cap);
    // Gap-free: the room moved by exactly the added reactions, each reply a seqno of its own.
    const seqnos = added.map((r) => r.json<{ seqno: number }>().seqno).sort((a, b) => a - b);
    expect(seqnos).toEqual(Array.from({ length: cap }, (_, i) => before + 1 + i));
    expect((await ctx.prisma.room.findFirstOrThrow({ where: { token: 'lobby' } })).messageSequence).toBe(before + cap);
  });
});
