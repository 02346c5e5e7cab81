// Issue 14 item 5: reports (a reaction with the report emoji), asked as session-desktop asks: the 🚩
// is seen by its reporter and moderators only; at the threshold the message reaches everyone else
// as a deletion; a moderator's approve emoji restores it (a new row) and dismisses the reports, the
// reject emoji or a delete removes it; false reporting is bounded.
import type { SogsClient } from '../../../src/client';
import { ReviewService } from '../../../src/rooms/review.service';
import { dBodyless } from '../../conformance/desktop';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, grantRoom, post, sessionMessage } from '../../support/rooms-fixtures';
import { cliOk, envFor } from '../cli/cli-helpers';
import { allText, idsOf, readAll } from './read-paths';

type Json = Record<string, unknown>;
type Reactions = Record<string, { count: number; reactors?: string[]; you?: boolean }>;
const FLAG = encodeURIComponent('🚩');

describe('reports (issue 14 item 5)', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // A wide signature window: the tests move the server's clock by days (the daily cap, retention).
    // Nobody is a new user unless a room says so (the standing test does).
    ctx = await createTestContext({
      config: { RATE_LIMIT_POSTS: 0, REPORTS_PER_DAY: 2, REPORTS_DISMISSED_LIMIT: 1, AUTH_TIMESTAMP_WINDOW: 365 * 86400, NEW_USER_POSTS: 0, NEW_USER_AGE: 0 },
    });
    env = envFor(ctx.config);
  });
  afterAll(() => ctx?.close());

  const since = async (client: SogsClient, token: string, seqno: number) => {
    const res = await client.batch([{ method: 'GET', path: `/room/${token}/messages/since/${seqno}?t=r&reactors=5`, headers: { 'Content-Type': 'application/json' } }]);
    expect(res.items[0].code).toBe(200);
    return res.items[0].body as Json[];
  };
  const seqnoOf = async (client: SogsClient, token: string) => (await client.get(`/room/${token}`)).json<{ message_sequence: number }>().message_sequence;
  const react = async (client: SogsClient, token: string, id: number, emoji: string) => {
    const res = await dBodyless(client, 'PUT', `/room/${token}/reaction/${id}/${encodeURIComponent(emoji)}`);
    expectStatus(res, 200);
    return res.json<{ added: boolean; seqno: number }>();
  };
  const reactionsOf = (rows: Json[], id: number) => (rows.find((m) => m.id === id)?.reactions ?? {}) as Reactions;
  const reports = async (token: string) => JSON.parse(await cliOk(env, 'reports', 'list', '--room', token, '--json')) as Json[];
  const actions = async (token: string) => (JSON.parse(await cliOk(env, 'audit', 'list', '--room', token, '--json')) as Json[]).map((e) => [e.actor, e.action, e.target]);
  const users = async (n: number) => {
    const list = Array.from({ length: n }, () => ctx.newUser());
    for (const u of list) await u.get('/capabilities');
    return list;
  };

  it('a 🚩 is a report seen by its reporter and moderators only; the threshold hides the message from everyone else as a deletion; ✅ restores it', async () => {
    await createRoom(ctx, 'rep1');
    const [author, member, mod, r1, r2, r3] = await users(6);
    await grantRoom(ctx, 'rep1', mod, { admin: true });
    const m = await post(author, 'rep1', sessionMessage('a contested message'));
    expectStatus(await mod.post(`/room/rep1/pin/${m.id}`, {}), 200);
    expect(await react(member, 'rep1', m.id, '👍')).toMatchObject({ added: true });

    expect(await react(r1, 'rep1', m.id, '🚩')).toMatchObject({ added: true });
    expect(await react(r1, 'rep1', m.id, '🚩')).toMatchObject({ added: false });
    const probe = { ids: [m.id], reactions: [[m.id, '🚩'] as [number, string]] };
    const forMember = await readAll(member, 'rep1', probe);
    expect(allText(forMember)).not.toContain('🚩');
    expect(allText(forMember)).not.toContain(r1.sessionId!);
    expect(forMember.reactors[`${m.id}:🚩`]).toEqual([]);
    expect(reactionsOf((await readAll(r1, 'rep1', probe)).since, m.id)['🚩']).toMatchObject({ count: 1, you: true });
    const forMod = await readAll(mod, 'rep1', probe);
    expect(reactionsOf(forMod.since, m.id)['🚩']).toMatchObject({ count: 1, reactors: [r1.sessionId] });
    expect(await reports('rep1')).toEqual([expect.objectContaining({ id: m.id, session_id: author.sessionId, hidden: false, reports: 1, counted: 1, reporters: [r1.sessionId] })]);

    // The third report from distinct users hides it: pollers that had it receive a deletion.
    const memberAt = await seqnoOf(member, 'rep1');
    await react(r2, 'rep1', m.id, '🚩');
    await react(r3, 'rep1', m.id, '🚩');
    const hiddenRows = await since(member, 'rep1', memberAt);
    expect(hiddenRows).toEqual([expect.objectContaining({ id: m.id, deleted: true, data: null })]);
    const afterHide = await readAll(member, 'rep1', probe);
    for (const rows of [afterHide.recent, afterHide.before]) expect(idsOf(rows).full).not.toContain(m.id);
    // A client starting from scratch never had it: not even a deletion.
    expect(idsOf(afterHide.since)).toEqual({ full: [], deleted: [] });
    expect(afterHide.single[m.id]).toBe(404);
    expect(afterHide.room.pinned_messages).toBeUndefined();
    expect(allText(afterHide)).not.toContain(m.data);
    // A reporter cannot see it any more either; the author and moderators still do.
    expect(idsOf(await since(r1, 'rep1', memberAt)).deleted).toEqual([m.id]);
    expect((await readAll(author, 'rep1', probe)).single[m.id]).toMatchObject({ data: m.data });
    expect(reactionsOf((await readAll(mod, 'rep1', probe)).since, m.id)['🚩']).toMatchObject({ count: 3 });
    expect(await reports('rep1')).toEqual([expect.objectContaining({ id: m.id, hidden: true, counted: 3 })]);

    // A moderator's ✅ restores it: the full row again with a new seqno, the 🚩 gone, the reports dismissed.
    const restoreAt = await seqnoOf(member, 'rep1');
    expect(await react(mod, 'rep1', m.id, '✅')).toMatchObject({ added: false });
    const restored = (await since(member, 'rep1', restoreAt)).find((x) => x.id === m.id)!;
    expect(restored).toMatchObject({ id: m.id, posted: m.posted, data: m.data, signature: m.signature });
    expect(restored.reactions).toEqual({ '👍': expect.objectContaining({ count: 1, you: true }) });
    expect(reactionsOf(await since(mod, 'rep1', restoreAt), m.id)).not.toHaveProperty('🚩');
    expect((await member.get('/room/rep1')).json<Json>().pinned_messages).toEqual([expect.objectContaining({ id: m.id })]);
    expect(await reports('rep1')).toEqual([]);
    expect(await actions('rep1')).toEqual(
      expect.arrayContaining([
        ['rule:reports', 'report.hide', String(m.id)],
        [mod.sessionId, 'report.dismiss', String(m.id)],
      ]),
    );
    // Each reporter has reported this message once: a second 🚩 changes nothing.
    expect(await react(r1, 'rep1', m.id, '🚩')).toMatchObject({ added: false });
  });

  it('❌ or a delete removes a reported message (reports upheld); a withdrawn 🚩 withdraws the report', async () => {
    await createRoom(ctx, 'rep2');
    const [author, member, mod, r1, r2] = await users(5);
    await grantRoom(ctx, 'rep2', mod);
    const [a, b] = [await post(author, 'rep2'), await post(author, 'rep2')];
    await react(r1, 'rep2', a.id, '🚩');
    await react(r2, 'rep2', b.id, '🚩');
    expectStatus(await dBodyless(r2, 'DELETE', `/room/rep2/reaction/${b.id}/${FLAG}`), 200);
    expect((await reports('rep2')).map((r) => r.id)).toEqual([a.id]);
    await react(r1, 'rep2', b.id, '🚩');
    const at = await seqnoOf(member, 'rep2');
    expect(await react(mod, 'rep2', a.id, '❌')).toMatchObject({ added: false });
    expectStatus(await dBodyless(mod, 'DELETE', `/room/rep2/message/${b.id}`), 200);
    expect(idsOf(await since(member, 'rep2', at)).deleted.sort()).toEqual([a.id, b.id].sort());
    expect(await reports('rep2')).toEqual([]);
    const outcomes = await ctx.prisma.report.findMany({ where: { messageId: { in: [a.id, b.id] } }, orderBy: { messageId: 'asc' } });
    expect(outcomes.map((r) => r.outcome)).toEqual(['upheld', 'upheld']);
    expect(await actions('rep2')).toEqual(
      expect.arrayContaining([
        [mod.sessionId, 'report.uphold', String(a.id)],
        [mod.sessionId, 'report.uphold', String(b.id)],
      ]),
    );
  });

  it('false reporting is bounded: reports past REPORTS_PER_DAY and from reporters with dismissed reports do not count', async () => {
    await createRoom(ctx, 'rep3');
    await cliOk(env, 'rooms', 'update', 'rep3', '--report-threshold', '1');
    const [author, member, mod, eager, discredited] = await users(5);
    await grantRoom(ctx, 'rep3', mod);
    const msgs = [await post(author, 'rep3'), await post(author, 'rep3'), await post(author, 'rep3'), await post(author, 'rep3')];

    // REPORTS_PER_DAY = 2: the third report in a day is kept but not counted; a day later they count again.
    for (const m of msgs.slice(0, 3)) await react(eager, 'rep3', m.id, '🚩');
    const visible = () => member.get('/room/rep3/messages/recent').then((r) => idsOf(r.json<Json[]>()).full);
    expect((await visible()).sort()).toEqual([msgs[2].id, msgs[3].id].sort());
    ctx.clock.advance(86_400_000);
    await react(eager, 'rep3', msgs[3].id, '🚩');
    expect(await visible()).toEqual([msgs[2].id]);

    // REPORTS_DISMISSED_LIMIT = 1: once a moderator dismissed one of their reports, a reporter stops counting.
    const target = await post(author, 'rep3');
    await react(discredited, 'rep3', target.id, '🚩');
    await react(mod, 'rep3', target.id, '✅');
    const next = await post(author, 'rep3');
    await react(discredited, 'rep3', next.id, '🚩');
    expect(await visible()).toEqual(expect.arrayContaining([target.id, next.id]));
    expect((await reports('rep3')).find((r) => r.id === next.id)).toMatchObject({ reports: 1, counted: 0, hidden: false });
    // Own messages: a report is kept, never counted.
    const own = await post(member, 'rep3');
    await react(member, 'rep3', own.id, '🚩');
    expect(await visible()).toContain(own.id);
  });

  it('below the threshold a moderator decides too: ✅ dismisses (the 🚩 goes, the message stays), and reports dismiss|uphold do it from the CLI', async () => {
    await createRoom(ctx, 'rep6');
    const [author, member, mod, r1] = await users(4);
    await grantRoom(ctx, 'rep6', mod);
    const [a, b, c] = [await post(author, 'rep6'), await post(author, 'rep6'), await post(author, 'rep6')];
    for (const m of [a, b]) await react(r1, 'rep6', m.id, '🚩');
    await react(member, 'rep6', c.id, '🚩');
    const at = await seqnoOf(mod, 'rep6');
    expect(await react(mod, 'rep6', a.id, '✅')).toMatchObject({ added: false });
    // The moderator's client receives a reactions update without the 🚩 (and without the consumed ✅).
    const update = (await since(mod, 'rep6', at)).find((m) => m.id === a.id)!;
    expect(update).toEqual({ id: a.id, seqno: expect.any(Number), reactions: {} });
    expect(await cliOk(env, 'reports', 'dismiss', String(b.id))).toContain(`Dismissed the reports of message ${b.id} in rep6`);
    expect(await cliOk(env, 'reports', 'uphold', String(c.id))).toContain(`Upheld the reports of message ${c.id} in rep6`);
    const seen = idsOf((await member.get('/room/rep6/messages/recent')).json<Json[]>()).full;
    expect(seen.sort()).toEqual([a.id, b.id].sort());
    expect(await reports('rep6')).toEqual([]);
    expect(await actions('rep6')).toEqual(
      expect.arrayContaining([
        [mod.sessionId, 'report.dismiss', String(a.id)],
        ['cli', 'report.dismiss', String(b.id)],
        ['cli', 'report.uphold', String(c.id)],
      ]),
    );
    expect(await cliOk(env, 'reports', 'list', '--room', 'rep6')).toContain('No open reports');
  });

  it('a 🚩 gets through a lockdown, under the report caps; other reactions are refused', async () => {
    await createRoom(ctx, 'rep8');
    await cliOk(env, 'rooms', 'update', 'rep8', '--report-threshold', '2');
    const [author, member, r1, r2] = await users(4);
    const [a, b, c] = [await post(author, 'rep8'), await post(author, 'rep8'), await post(author, 'rep8')];
    // A week: the CLI counts from real time, the server's clock is a day ahead after the daily-cap test.
    await cliOk(env, 'rooms', 'lockdown', 'rep8', '--for', '1w', '--reason', 'raid');
    const thumbs = await dBodyless(r1, 'PUT', `/room/rep8/reaction/${a.id}/${encodeURIComponent('👍')}`);
    expect([thumbs.code, thumbs.text()]).toEqual([403, expect.stringMatching(/locked down until .*: raid/)]);
    expect(await react(r1, 'rep8', a.id, '🚩')).toMatchObject({ added: true });
    expect(await react(r2, 'rep8', a.id, '🚩')).toMatchObject({ added: true });
    // Two counted reports reach the threshold: the message is hidden during the lockdown.
    const visible = async () => idsOf((await member.get('/room/rep8/messages/recent')).json<Json[]>()).full;
    expect((await visible()).sort()).toEqual([b.id, c.id].sort());
    // REPORTS_PER_DAY = 2 holds in a lockdown too: r1's third report of the day is kept, not counted.
    await react(r1, 'rep8', b.id, '🚩');
    await react(r1, 'rep8', c.id, '🚩');
    await react(r2, 'rep8', c.id, '🚩');
    expect((await reports('rep8')).find((r) => r.id === c.id)).toMatchObject({ reports: 2, counted: 1, hidden: false });
    expect(await visible()).toContain(c.id);
  });

  it("a restricted new user's report does not count; a trusted new user's does", async () => {
    await createRoom(ctx, 'rep5');
    await cliOk(env, 'rooms', 'update', 'rep5', '--report-threshold', '1', '--new-user-posts', '1');
    const [author, member, fresh, trusted] = await users(4);
    await cliOk(env, 'trust', 'add', trusted.sessionId!, '--room', 'rep5');
    await cliOk(env, 'trust', 'add', author.sessionId!, '--room', 'rep5');
    const m = await post(author, 'rep5');
    await react(fresh, 'rep5', m.id, '🚩');
    const visible = async () => idsOf((await member.get('/room/rep5/messages/recent')).json<Json[]>()).full;
    expect(await visible()).toEqual([m.id]);
    expect(await reports('rep5')).toEqual([expect.objectContaining({ id: m.id, reports: 1, counted: 0 })]);
    await react(trusted, 'rep5', m.id, '🚩');
    expect(await visible()).toEqual([]);
  });

  it('reports are pruned after REPORTS_RETENTION', async () => {
    await createRoom(ctx, 'rep4');
    const [author, reporter] = await users(2);
    const m = await post(author, 'rep4');
    await react(reporter, 'rep4', m.id, '🚩');
    const review = ctx.server.app.get(ReviewService);
    ctx.clock.advance((ctx.config.REPORTS_RETENTION - 60) * 1000);
    await review.prune();
    expect(await ctx.prisma.report.count({ where: { messageId: m.id } })).toBe(1);
    ctx.clock.advance(120_000);
    await review.prune();
    expect(await ctx.prisma.report.count({ where: { messageId: m.id } })).toBe(0);
  });
});
