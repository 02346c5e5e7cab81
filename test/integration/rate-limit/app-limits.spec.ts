// Rate limits through the real app (onion requests, PostgreSQL, Redis): the rules of the one
// limiter as clients meet them. Limits are set small here; the defaults are in config.schema.ts.
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, post } from '../../support/rooms-fixtures';

describe('rate limits through the app', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, REACTION_RATE_LIMIT: 3, REACTION_RATE_WINDOW: 60 } });
    await createRoom(ctx, 'limits');
  });
  afterAll(() => ctx?.close());

  it('REACTION_RATE_LIMIT: adds per user per window, 429 with a reason; no-op adds and removals are free (issue 19 item 8)', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    const m = await post(alice, 'limits');
    const react = (who = alice, reaction = '👍', id = m.id) => who.put(`/room/limits/reaction/${id}/${encodeURIComponent(reaction)}`, {});
    expectStatus(await react(alice, 'a'), 200);
    expectStatus(await react(alice, 'a'), 200); // already there: adds nothing, costs nothing
    expectStatus(await alice.delete(`/room/limits/reaction/${m.id}/a`), 200);
    expectStatus(await react(alice, 'b'), 200);
    expectStatus(await react(alice, 'c', 999_999), 404); // no such message: nothing added, nothing counted
    expectStatus(await react(alice, 'c'), 200);
    const refused = await react(alice, 'd');
    expect([refused.code, refused.text()]).toEqual([429, 'Rate limited: at most 3 reactions added per 60 seconds']);
    const stored = await ctx.prisma.userReaction.count({ where: { reaction: { messageId: m.id } } });
    expect(stored).toBe(2); // b and c (a was removed); d was refused before the transaction
    expectStatus(await react(bob, 'd'), 200); // per user
  });
});
