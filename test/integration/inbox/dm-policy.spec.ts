// Issue 15 item 4: who may send DMs (protocol §6.9) — banned senders, senders without standing, a
// daily cap per sender, and a cap on pending DMs from strangers in one inbox — through the
// endpoints as a stock client sends them.
import type { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { banGlobally, banInRoom, createRoom, grantGlobal, post } from '../../support/rooms-fixtures';

const dm = (from: SogsClient, to: SogsClient) => from.post(`/inbox/${to.sessionId}`, { message: Buffer.from('opaque').toString('base64') });

describe('DM policy (issue 15 item 4)', () => {
  let ctx: TestContext;
  afterEach(() => ctx?.close());

  /** Users the server has seen (a first request creates the row). */
  const seen = async (n: number) => {
    const users = Array.from({ length: n }, () => ctx.newUser());
    for (const u of users) await u.get('/inbox');
    return users;
  };

  it('banned senders: globally banned ones are refused as every request; banned in any room with DM_REFUSE_ROOM_BANNED, with the reason', async () => {
    ctx = await createTestContext({ config: { DM_REFUSE_ROOM_BANNED: true } });
    await createRoom(ctx, 'lobby');
    const [global, roomBanned, fine, recipient] = await seen(4);
    await banGlobally(ctx, global);
    await banInRoom(ctx, 'lobby', roomBanned);
    expect((await dm(global, recipient)).code).toBe(403);
    const refused = await dm(roomBanned, recipient);
    expect([refused.code, refused.text()]).toEqual([403, expect.stringContaining('while banned from a room')]);
    expect((await dm(fine, recipient)).code).toBe(201);
    expect((await recipient.get('/inbox')).json<unknown[]>()).toHaveLength(1);
  });

  it('standing: never posted, or first seen too recently, is refused until it changes; global moderators are exempt', async () => {
    ctx = await createTestContext({ config: { DM_REQUIRE_POSTED: true, DM_MIN_AGE: 3600 } });
    await createRoom(ctx, 'lobby');
    const [sender, recipient, staff] = await seen(3);
    await grantGlobal(ctx, staff);
    expect((await dm(staff, recipient)).code).toBe(201);
    expect((await dm(sender, recipient)).text()).toContain('you are new on this server');
    // A newcomer may always answer someone who wrote to them first (a moderator, a bot's question).
    expect((await dm(recipient, staff)).code).toBe(201);
    expect((await dm(recipient, sender)).text()).toContain('you are new on this server');
    ctx.clock.advance(3601_000);
    const unposted = await dm(sender, recipient);
    expect([unposted.code, unposted.text()]).toEqual([403, expect.stringContaining('before you have posted in a room')]);
    await post(sender, 'lobby');
    expect((await dm(sender, recipient)).code).toBe(201);
    // A post in any room counts (each room is looked at), and a deleted one too: they took part.
    await createRoom(ctx, 'second');
    await createRoom(ctx, 'third');
    const [late] = await seen(1);
    ctx.clock.advance(3601_000);
    expect((await dm(late, recipient)).text()).toContain('before you have posted in a room');
    const deleted = await post(late, 'third');
    expect((await late.delete(`/room/third/message/${deleted.id}`)).code).toBe(200);
    expect((await dm(late, recipient)).code).toBe(201);
  });

  it('a daily cap per sender (rolling day), 429 with the reason', async () => {
    ctx = await createTestContext({ config: { DM_DAILY_LIMIT: 2 } });
    const [sender, a, b] = await seen(3);
    expect((await dm(sender, a)).code).toBe(201);
    expect((await dm(sender, b)).code).toBe(201);
    const refused = await dm(sender, a);
    expect([refused.code, refused.text()]).toEqual([429, expect.stringContaining('at most 2 direct messages per day')]);
  });

  it('an inbox holds at most N pending DMs from senders its owner never wrote to; an answered sender is not limited', async () => {
    ctx = await createTestContext({ config: { DM_UNANSWERED_MAX: 2 } });
    const [owner, friend, s1, s2, s3] = await seen(5);
    expect((await dm(owner, friend)).code).toBe(201);
    expect((await dm(s1, owner)).code).toBe(201);
    expect((await dm(s2, owner)).code).toBe(201);
    const full = await dm(s3, owner);
    expect([full.code, full.text()]).toEqual([429, expect.stringContaining('too many unanswered messages')]);
    // The owner wrote to friend: friend's messages always arrive, and do not count.
    for (let i = 0; i < 3; i++) expect((await dm(friend, owner)).code).toBe(201);
    // Answering s1 makes room: s1's message is no longer from a stranger.
    expect((await dm(owner, s1)).code).toBe(201);
    expect((await dm(s3, owner)).code).toBe(201);
    const metrics = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/scs_policy_rule_hits_total\{rule="dm_unanswered",action="refuse"\} 1/);
    const hits = await ctx.prisma.auditLog.findMany({ where: { action: 'rule.hit' } });
    expect(hits.map((h) => [h.actor, h.target, h.roomToken])).toEqual([['rule:dm_unanswered', s3.sessionId, null]]);
  });
});
