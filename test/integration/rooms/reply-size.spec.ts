// Issue 19 item 4: a few huge posts made every anonymous `messages/recent` a reply of tens of MiB.
// Messages are now at most MESSAGE_MAX_BYTES, and one list reply at most REPLY_MAX_BYTES of JSON
// (always at least one item, so a client paging by seqno or id makes progress).
import { randomBytes } from 'node:crypto';
import type { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus } from '../../support/rooms-fixtures';

type Json = Record<string, unknown>;
const CAP = 100_000;
const big = (bytes: number) => ({ data: randomBytes(bytes).toString('base64'), signature: randomBytes(64).toString('base64') });

describe('reply size is bounded (issue 19 item 4)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, REPLY_MAX_BYTES: CAP } });
    await createRoom(ctx, 'lobby');
  });
  afterAll(() => ctx?.close());

  const get = async (client: SogsClient, path: string) => {
    const res = await client.get(path);
    expectStatus(res, 200);
    expect(res.body.length).toBeLessThanOrEqual(CAP);
    return res.json<Json[]>();
  };

  it('refuses a message above the default MESSAGE_MAX_BYTES (128 KiB), accepts one at it', async () => {
    const alice = ctx.newUser();
    expect(ctx.config.MESSAGE_MAX_BYTES).toBe(131_072);
    expect((await alice.post('/room/lobby/message', big(131_073))).code).toBe(400);
    expectStatus(await alice.post('/room/lobby/message', big(131_072)), 201);
  });

  it('recent, before and since return fewer large messages, under the cap; since continues from the last one', async () => {
    await ctx.prisma.message.deleteMany({});
    const alice = ctx.newUser();
    const posted: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await alice.post('/room/lobby/message', big(30_000)); // ≈ 40 KB of base64 each
      expectStatus(res, 201);
      posted.push(res.json<{ id: number }>().id);
    }
    const anon = ctx.anon();
    const recent = await get(anon, '/room/lobby/messages/recent?limit=7');
    expect(recent.map((m) => m.id)).toEqual([posted[6], posted[5]]);
    const before = await get(anon, `/room/lobby/messages/before/${posted[5]}?limit=7`);
    expect(before.map((m) => m.id)).toEqual([posted[4], posted[3]]);

    const seen: number[] = [];
    let seqno = (await ctx.prisma.message.findFirstOrThrow({ where: { id: posted[0] } })).seqno - 1;
    for (let polls = 0; polls < 10 && seen.length < posted.length; polls++) {
      const page = await get(anon, `/room/lobby/messages/since/${seqno}?limit=256`);
      expect(page.length).toBeGreaterThan(0);
      seen.push(...page.map((m) => m.id as number));
      seqno = page[page.length - 1].seqno as number;
    }
    expect(seen).toEqual(posted);
  });

  it('a message larger than the cap still comes back alone, so polling never stalls', async () => {
    await ctx.prisma.message.deleteMany({});
    const alice = ctx.newUser();
    const ids: number[] = [];
    for (const size of [120_000, 100]) {
      const res = await alice.post('/room/lobby/message', big(size));
      expectStatus(res, 201);
      ids.push(res.json<{ id: number }>().id);
    }
    const first = await ctx.anon().get('/room/lobby/messages/since/0');
    expectStatus(first, 200);
    expect(first.json<Json[]>().map((m) => m.id)).toEqual([ids[0]]);
    const seqno = first.json<Json[]>()[0].seqno as number;
    expect((await get(ctx.anon(), `/room/lobby/messages/since/${seqno}`)).map((m) => m.id)).toEqual([ids[1]]);
  });

  it('DM inbox and outbox lists are bounded the same way and `since` continues', async () => {
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    expectStatus(await bob.get('/inbox'), 200); // bob exists
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await alice.post(`/inbox/${bob.sessionId}`, { message: randomBytes(30_000).toString('base64') });
      expectStatus(res, 201);
      sent.push(res.json<{ id: number }>().id);
    }
    expect((await get(bob, '/inbox')).map((m) => m.id)).toEqual(sent.slice(0, 2));
    expect((await get(alice, '/outbox')).map((m) => m.id)).toEqual(sent.slice(0, 2));
    const seen: number[] = [];
    let after = 0;
    while (seen.length < sent.length) {
      const page = await get(bob, `/inbox/since/${after}`);
      seen.push(...page.map((m) => m.id as number));
      after = seen[seen.length - 1];
    }
    expect(seen).toEqual(sent);
  });
});
