// Rate limits through the real app (onion requests, PostgreSQL, Redis): the rules of the one
// limiter as clients meet them. Limits are set small here; the defaults are in config.schema.ts.
import { randomBytes } from 'node:crypto';
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
    // When to come back: the fixed window began with the first add, at most 60 s ago.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    const stored = await ctx.prisma.userReaction.count({ where: { reaction: { messageId: m.id } } });
    expect(stored).toBe(2); // b and c (a was removed); d was refused before the transaction
    expectStatus(await react(bob, 'd'), 200); // per user
  });
});

describe("the file server's server-wide upload rate (issue 19 item 6)", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { FILE_SERVER_UPLOAD_RATE: 3, FILE_SERVER_UPLOAD_BYTES_RATE: 1000, FILE_SERVER_UPLOAD_RATE_WINDOW: 60 } });
  });
  afterAll(() => ctx?.close());

  const refusals = async (rule: string) => {
    const text = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
    return Number(new RegExp(`^scs_rate_limited_requests_total\\{rule="${rule}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  it('counts uploads and newly stored bytes across all clients; 429 {"status_code": 429} past either, nothing stored', async () => {
    // Anonymous uploads from different clients share one budget: no client is told apart.
    const upload = (body: Buffer) => ctx.anon().request({ method: 'POST', path: '/file', body });
    const a = randomBytes(600);
    expect((await upload(a)).code).toBe(200);
    expect((await upload(a)).code).toBe(200); // the same bytes are stored once: they cost no bytes again
    const tooMany = await upload(randomBytes(500)); // 600 + 500 bytes > 1000
    expect([tooMany.code, tooMany.json()]).toEqual([429, { status_code: 429 }]);
    expect((await upload(randomBytes(400))).code).toBe(200); // the refused one used up no upload either
    const fourth = await upload(randomBytes(1));
    expect([fourth.code, fourth.json()]).toEqual([429, { status_code: 429 }]);
    expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(0);
    expect(await ctx.prisma.serverFile.count()).toBe(2);
    expect([await refusals('file-server-bytes'), await refusals('file-server-uploads')]).toEqual([1, 1]);
  });
});
