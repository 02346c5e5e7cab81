import type { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, post, sessionMessage, type PostedMessage } from '../../support/rooms-fixtures';
import { csrfOf, post as consolePost, signIn } from './console-helpers';

// Issue 17, Queue view: held posts and reported messages with their text as clients decode it,
// author, reports and the author's other posts; approve/reject in one click through ReviewService
// (the CLI's held/reports commands), reaching pollers as a moderator's reaction does; audited.

describe('console queue', () => {
  let ctx: TestContext;
  let cookie: string;
  let csrf: string;
  beforeAll(async () => {
    // Nobody is a new user: fresh reporters' reports count (a restricted new user's would not).
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, NEW_USER_POSTS: 0, NEW_USER_AGE: 0 } });
    await createRoom(ctx, 'held');
    await createRoom(ctx, 'open');
    await ctx.prisma.room.update({ where: { token: 'held' }, data: { heldMode: 'all' } });
    ({ cookie } = await signIn(ctx));
    csrf = await csrfOf(ctx, cookie);
  });
  afterAll(async () => {
    await ctx?.close();
  });
  const queue = async (query = '') => {
    const res = await fetch(`${ctx.adminUrl}/console/queue${query}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    return res.text();
  };
  const decide = (id: number, kind: string, decision: string, extra: Record<string, string> = {}) =>
    consolePost(ctx, '/console/queue/decide', { _csrf: csrf, id: String(id), kind, decision, ...extra }, { cookie });
  const since = async (client: SogsClient, token: string, seqno: number) => {
    const res = await client.get(`/room/${token}/messages/since/${seqno}`);
    expectStatus(res, 200);
    return res.json<PostedMessage[]>();
  };
  const seqnoOf = async (client: SogsClient, token: string) => (await client.get(`/room/${token}`)).json<{ message_sequence: number }>().message_sequence;
  const audit = (target: number) => ctx.prisma.auditLog.findMany({ where: { target: String(target) }, orderBy: { id: 'asc' }, select: { actor: true, action: true } });

  test("held posts show their decoded text and the author's other posts; approve reaches the next poll, reject never does", async () => {
    const [author, member] = [ctx.newUser(), ctx.newUser()];
    const first = await post(author, 'held', sessionMessage('first <b>held</b> post', 'Ann'));
    const second = await post(author, 'held', sessionMessage('second one'));
    const at = await seqnoOf(member, 'held');
    expect(await since(member, 'held', 0)).toEqual([]);

    const page = await queue('?room=held');
    expect(page).toContain('<h2 id="held-h">Held posts (2)</h2>');
    expect(page).toContain('<p class="message">first &lt;b&gt;held&lt;/b&gt; post</p>');
    expect(page).toContain(`href="/console/people?id=${author.sessionId}"`);
    // Beside the first, the author's other post (the second), and the other way round.
    const item = page.slice(page.indexOf(`id="message-${first.id}"`), page.indexOf(`id="message-${second.id}"`));
    expect(item).toContain("The author's other post in this room");
    expect(item).toContain('second one');

    const approved = await decide(first.id, 'held', 'approve', { room: 'held' });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe('/console/queue?room=held&notice=approved');
    const polled = await since(member, 'held', at);
    expect(polled.map((m) => [m.id, m.data])).toEqual([[first.id, first.data]]);

    expect((await decide(second.id, 'held', 'reject')).headers.get('location')).toBe('/console/queue?notice=rejected');
    expect((await since(member, 'held', 0)).map((m) => m.id)).toEqual([first.id]);
    expect(await queue()).toContain('No held posts.');
    expect(await audit(first.id)).toEqual([
      { actor: 'rule:held', action: 'held.hold' },
      { actor: 'console', action: 'held.approve' },
    ]);
    expect((await audit(second.id)).map((e) => [e.actor, e.action])).toEqual([
      ['rule:held', 'held.hold'],
      ['console', 'held.reject'],
    ]);
  });

  test('reported messages show their reports; dismissing keeps the message, deleting upholds the reports', async () => {
    const [author, reporter] = [ctx.newUser(), ctx.newUser()];
    const kept = await post(author, 'open', sessionMessage('fine really'));
    const bad = await post(author, 'open', sessionMessage('really bad'));
    for (const m of [kept, bad]) expectStatus(await reporter.put(`/room/open/reaction/${m.id}/${encodeURIComponent('🚩')}`, {}), 200);

    const page = await queue();
    expect(page).toContain('<h2 id="reported-h">Reported messages (2)</h2>');
    expect(page).toMatch(/<dt>Reports<\/dt><dd>1 \(1 counted\)/);
    expect(page).toContain('<p class="message">really bad</p>');

    expect((await decide(kept.id, 'report', 'approve')).headers.get('location')).toBe('/console/queue?notice=dismissed');
    expect((await decide(bad.id, 'report', 'reject')).headers.get('location')).toBe('/console/queue?notice=upheld');
    expect(await queue()).toContain('No open reports.');
    const visible = (await since(ctx.newUser(), 'open', 0)).filter((m) => m.data !== null).map((m) => m.id);
    expect(visible).toEqual([kept.id]);
    expect((await audit(kept.id)).map((e) => [e.actor, e.action])).toEqual([['console', 'report.dismiss']]);
    expect((await audit(bad.id)).map((e) => [e.actor, e.action])).toEqual([['console', 'report.uphold']]);
  });

  test('a message with nothing to decide is a 409 with the reason; bad input a 400; no change without the CSRF token', async () => {
    const plain = await post(ctx.newUser(), 'open', sessionMessage('nothing to see'));
    const none = await decide(plain.id, 'held', 'approve');
    expect(none.status).toBe(409);
    expect(await none.text()).toContain(`Message ${plain.id} is neither held nor reported`);
    expect((await decide(99_999, 'held', 'approve')).status).toBe(404);
    expect((await decide(plain.id, 'held', 'maybe')).status).toBe(400);
    expect((await fetch(`${ctx.adminUrl}/console/queue?room=no%20such`, { headers: { cookie } })).status).toBe(400);

    const held = await post(ctx.newUser(), 'held', sessionMessage('wait for it'));
    const forged = await consolePost(ctx, '/console/queue/decide', { id: String(held.id), kind: 'held', decision: 'approve' }, { cookie });
    expect(forged.status).toBe(403);
    expect((await ctx.prisma.message.findUniqueOrThrow({ where: { id: held.id } })).hidden).toBe('held');
  });
});
