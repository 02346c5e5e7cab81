// Issue 14 item 3: shadow bans, through every read path (src/rooms/visibility.ts), as desktop asks.
import type { SogsClient } from '../../../src/client';
import { ModerationService } from '../../../src/moderation/moderation.service';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, grantRoom, post, sessionMessage } from '../../support/rooms-fixtures';
import { cli, cliOk, envFor } from '../cli/cli-helpers';
import { allText, idsOf, readAll } from './read-paths';

type Json = Record<string, unknown>;
type Reactions = Record<string, { count: number; reactors?: string[]; you?: boolean }>;

describe('shadow bans (issue 14 item 3)', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, WEB_SHOW_RECENT: true } });
    env = envFor(ctx.config);
  });
  afterAll(() => ctx?.close());

  const react = async (client: SogsClient, token: string, id: number, reaction: string) => {
    const res = await client.put(`/room/${token}/reaction/${id}/${encodeURIComponent(reaction)}`, {});
    expectStatus(res, 200);
    return res.json<{ added: boolean; seqno: number }>();
  };
  const reactionsIn = (rows: Json[], id: number) => (rows.find((m) => m.id === id)?.reactions ?? {}) as Reactions;

  it('a room shadow ban: posts, reactions and uploads succeed; only the author and moderators see them, on every read path, batch or not', async () => {
    await createRoom(ctx, 'shadow1');
    const [banned, member, mod] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    await grantRoom(ctx, 'shadow1', mod, { admin: true });
    const before = await post(member, 'shadow1', sessionMessage('member says hi'));
    await banned.get('/capabilities');
    await cliOk(env, 'bans', 'add', banned.sessionId!, '--room', 'shadow1', '--shadow');

    // Every write answers as for anyone.
    const upload = await banned.request({ method: 'POST', path: '/room/shadow1/file', body: 'shadow file', headers: { 'Content-Disposition': 'attachment; filename="a.txt"' } });
    expectStatus(upload, 201);
    const hidden = await post(banned, 'shadow1', { ...sessionMessage('secret shadow words'), files: [upload.json<{ id: number }>().id] });
    expect(hidden).toMatchObject({ session_id: banned.sessionId, reactions: {} });
    expect(await react(banned, 'shadow1', before.id, '🤡')).toMatchObject({ added: true });
    expect(await react(member, 'shadow1', before.id, '👍')).toMatchObject({ added: true });
    expect(await react(banned, 'shadow1', before.id, '👍')).toMatchObject({ added: true });
    // An admin pins the hidden post (a moderator sees it), and it stays out of others' pins.
    expectStatus(await mod.post(`/room/shadow1/pin/${hidden.id}`, {}), 200);

    const probe = {
      ids: [before.id, hidden.id],
      reactions: [
        [before.id, '👍'],
        [before.id, '🤡'],
      ] as Array<[number, string]>,
    };
    const forMember = await readAll(member, 'shadow1', probe);
    const text = allText(forMember);
    expect(text).not.toContain(banned.sessionId!);
    expect(text).not.toContain(hidden.data);
    expect(text).not.toContain('🤡');
    for (const rows of [forMember.since, forMember.recent, forMember.before]) {
      expect(idsOf(rows)).toEqual({ full: [before.id], deleted: [] });
      expect(reactionsIn(rows, before.id)).toEqual({ '👍': { index: 0, count: 1, reactors: [member.sessionId], you: true } });
    }
    expect(forMember.single[hidden.id]).toBe(404);
    expect(forMember.reactors[`${before.id}:👍`]).toEqual([[member.sessionId, expect.any(Number)]]);
    expect(forMember.reactors[`${before.id}:🤡`]).toEqual([]);
    expect(forMember.room.pinned_messages).toBeUndefined();
    // A reaction on the hidden post by someone who cannot see it is a 404, like an unknown message.
    expect((await member.put(`/room/shadow1/reaction/${hidden.id}/👍`, {})).code).toBe(404);
    expect((await member.delete(`/room/shadow1/message/${hidden.id}`)).code).toBe(404);

    // The author sees everything of their own, as if nothing happened.
    const forBanned = await readAll(banned, 'shadow1', probe);
    for (const rows of [forBanned.since, forBanned.recent, forBanned.before]) {
      expect(idsOf(rows).full.sort()).toEqual([before.id, hidden.id].sort());
      expect(reactionsIn(rows, before.id)['👍']).toMatchObject({ count: 2, you: true });
      expect(reactionsIn(rows, before.id)['🤡']).toMatchObject({ count: 1, you: true });
    }
    expect(forBanned.single[hidden.id]).toMatchObject({ id: hidden.id, data: hidden.data });
    expect(forBanned.room.pinned_messages).toEqual([expect.objectContaining({ id: hidden.id })]);

    // Moderators see it all.
    const forMod = await readAll(mod, 'shadow1', probe);
    expect(idsOf(forMod.since).full.sort()).toEqual([before.id, hidden.id].sort());
    expect(reactionsIn(forMod.since, before.id)['👍']).toMatchObject({ count: 2 });
    expect(forMod.reactors[`${before.id}:🤡`]).toEqual([[banned.sessionId, expect.any(Number)]]);

    // The web page (anonymous) shows none of it.
    const html = await (await fetch(`${ctx.url}/r/shadow1`)).text();
    expect(html).toContain('member says hi');
    expect(html).not.toContain('secret shadow words');

    // A deletion by the author tells nobody else anything either.
    const { seqno } = forMember.since.at(-1) as { seqno: number };
    expectStatus(await banned.delete(`/room/shadow1/message/${hidden.id}`), 200);
    expect(allText(await readAll(member, 'shadow1', { ...probe, sinceSeqno: 0 }))).not.toContain(banned.sessionId!);
    expect((await member.get(`/room/shadow1/messages/since/${seqno}?t=r&reactors=5`)).json<Json[]>().filter((m) => m.id === hidden.id)).toEqual([]);
  });

  it('the rule is "shadow-banned when posting": lifting the ban (bans remove) shows new posts, not the hidden ones; bans list shows it', async () => {
    await createRoom(ctx, 'shadow2');
    const [banned, member] = [ctx.newUser(), ctx.newUser()];
    await banned.get('/capabilities');
    await cliOk(env, 'bans', 'add', banned.sessionId!, '--room', 'shadow2', '--shadow', '--timeout', '2h');
    const listed = JSON.parse(await cliOk(env, 'bans', 'list', '--room', 'shadow2', '--json')) as Json[];
    expect(listed).toEqual([{ session_id: banned.sessionId, room: 'shadow2', shadow: true, until: expect.any(Number) }]);
    expect(await cliOk(env, 'bans', 'list')).toContain('shadow');
    expect((await cli(env, 'bans', 'add', banned.sessionId!, '--room', 'shadow2', '--duration', '1h', '--timeout', '2h')).code).toBe(2);
    // The shadow ban is not a ban: the user keeps every permission and sees nothing different.
    const info = (await banned.get('/room/shadow2')).json<Json>();
    expect(info).toMatchObject({ read: true, write: true, upload: true });
    const early = await post(banned, 'shadow2');
    await cliOk(env, 'bans', 'remove', banned.sessionId!, '--room', 'shadow2');
    expect(JSON.parse(await cliOk(env, 'bans', 'list', '--room', 'shadow2', '--json'))).toEqual([]);
    const later = await post(banned, 'shadow2');
    const seen = idsOf((await member.get('/room/shadow2/messages/since/0?t=r&reactors=5')).json<Json[]>());
    expect(seen).toEqual({ full: [later.id], deleted: [] });
    expect(early.id).toBeLessThan(later.id);
  });

  it('a timed shadow ban ends on schedule (the futures job)', async () => {
    await createRoom(ctx, 'shadow3');
    const [banned, member] = [ctx.newUser(), ctx.newUser()];
    await banned.get('/capabilities');
    await cliOk(env, 'bans', 'add', banned.sessionId!, '--room', 'shadow3', '--shadow', '--timeout', '1h');
    await post(banned, 'shadow3');
    await ctx.server.app.get(ModerationService).applyDueFutures(Date.now() / 1000 + 3601);
    const after = await post(banned, 'shadow3');
    expect(idsOf((await member.get('/room/shadow3/messages/recent')).json<Json[]>()).full).toEqual([after.id]);
  });

  it('a global shadow ban covers every room, and its DMs are answered as delivered but never arrive', async () => {
    await createRoom(ctx, 'shadow4');
    const [banned, member] = [ctx.newUser(), ctx.newUser()];
    await banned.get('/capabilities');
    expectStatus(await member.get('/inbox'), 200);
    await cliOk(env, 'bans', 'add', banned.sessionId!, '--global', '--shadow');
    const hidden = await post(banned, 'shadow4');
    expect(idsOf((await member.get('/room/shadow4/messages/recent')).json<Json[]>()).full).not.toContain(hidden.id);
    const dm = await banned.post(`/inbox/${member.sessionId}`, { message: Buffer.from('psst').toString('base64') });
    expect(dm.code).toBe(201);
    expect(dm.json<Json>()).toMatchObject({ id: expect.any(Number), sender: banned.sessionId, recipient: member.sessionId });
    expect((await member.get('/inbox')).json()).toEqual([]);
    expect((await member.get('/inbox/since/0')).code).toBe(304);
    const stored = await ctx.prisma.inboxMessage.findUniqueOrThrow({ where: { id: dm.json<{ id: number }>().id } });
    expect(stored.body.length).toBe(0); // nothing of the DM is kept
    expect(JSON.parse(await cliOk(env, 'bans', 'list', '--json'))).toContainEqual({ session_id: banned.sessionId, room: null, shadow: true, until: null });
  });
});
