// Issue 14 item 6: mutes, set from the CLI (and the service the console calls), seen through the
// protocol as session-desktop speaks it: signed, onion-wrapped requests and desktop's batch poll.
import type { SogsClient } from '../../../src/client';
import { AuditService } from '../../../src/audit/audit.service';
import { ModerationService } from '../../../src/moderation/moderation.service';
import { dGet } from '../../conformance/desktop';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { createRoom, expectStatus, grantRoom, messageBody, post } from '../../support/rooms-fixtures';
import { cli, cliOk, envFor } from '../cli/cli-helpers';

type Json = Record<string, unknown>;

describe('mutes (issue 14 item 6)', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  let moderation: ModerationService;

  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0 } });
    env = envFor(ctx.config);
    moderation = ctx.server.app.get(ModerationService, { strict: false });
  });
  afterAll(() => ctx?.close());

  /** Desktop's poll of one room: pollInfo (its `write` hides or shows the composer) and since. */
  const desktopPoll = async (client: SogsClient, token: string) => {
    const res = await client.batch([
      { method: 'GET', path: '/capabilities', headers: { 'Content-Type': 'application/json' } },
      { method: 'GET', path: `/room/${token}/pollInfo/0`, headers: { 'Content-Type': 'application/json' } },
      { method: 'GET', path: `/room/${token}/messages/since/0?t=r&reactors=5`, headers: { 'Content-Type': 'application/json' } },
    ]);
    expect(res.code).toBe(200);
    expect(res.items.map((i) => i.code)).toEqual([200, 200, 200]);
    return { pollInfo: res.items[1].body as Json, since: res.items[2].body as Json[] };
  };
  const tryPost = (client: SogsClient, token: string) => client.post(`/room/${token}/message`, messageBody());

  it('a mute keeps the write permission underneath: a user granted write in a read-only room gets it back', async () => {
    await createRoom(ctx, 'readonly', { write: false });
    const speaker = ctx.newUser();
    await dGet(speaker, '/capabilities');
    await cliOk(env, 'perms', 'set', '--room', 'readonly', '--user', speaker.sessionId!, '--write');
    await post(speaker, 'readonly');
    await cliOk(env, 'mute', speaker.sessionId!, '--room', 'readonly', '--for', '10m');
    await eventually(async () => expect((await desktopPoll(speaker, 'readonly')).pollInfo.write).toBe(false));
    expect((await tryPost(speaker, 'readonly')).text()).toMatch(/^You are muted in this room until [^:]+:\d\d UTC$/);
    await cliOk(env, 'unmute', speaker.sessionId!, '--room', 'readonly');
    await eventually(async () => expect((await tryPost(speaker, 'readonly')).code).toBe(201));
  });

  it('a global mute, several ids at once; unmute ends it at once; every decision is in the audit log', async () => {
    await createRoom(ctx, 'g1');
    await createRoom(ctx, 'g2');
    const [a, b] = [ctx.newUser(), ctx.newUser()];
    for (const c of [a, b]) await dGet(c, '/capabilities');
    await cliOk(env, 'mute', a.sessionId!, b.sessionId!, '--global', '--for', '1d', '--reason', 'cool down');
    for (const c of [a, b]) await eventually(async () => expect((await desktopPoll(c, 'g1')).pollInfo.write).toBe(false));
    for (const c of [a, b])
      for (const token of ['g1', 'g2']) {
        const res = await tryPost(c, token);
        expect(res.code).toBe(403);
        expect(res.text()).toMatch(/^You are muted on this server until .* UTC: cool down$/);
      }
    await cliOk(env, 'unmute', a.sessionId!, '--global');
    await eventually(async () => expect((await tryPost(a, 'g1')).code).toBe(201));
    expect((await tryPost(b, 'g1')).code).toBe(403);

    const audit = ctx.server.app.get(AuditService, { strict: false });
    const mine = (await audit.list({})).filter((e) => [a.sessionId, b.sessionId].includes(e.target ?? '')).reverse();
    expect(mine.map((e) => [e.actor, e.action, e.room, e.target, e.reason])).toEqual([
      ['cli', 'mute', null, a.sessionId, 'cool down'],
      ['cli', 'mute', null, b.sessionId, 'cool down'],
      ['cli', 'unmute', null, a.sessionId, null],
    ]);
    expect(mine[0].details).toMatchObject({ global: true, duration: 86400 });

    // Bad input: no duration, a zero one, an over-long reason, no scope.
    expect((await cli(env, 'mute', a.sessionId!, '--global')).code).not.toBe(0);
    expect((await cli(env, 'mute', a.sessionId!, '--global', '--for', '0')).code).not.toBe(0);
    const long = await cli(env, 'mute', a.sessionId!, '--global', '--for', '1h', '--reason', 'x'.repeat(201));
    expect(long.code).not.toBe(0);
    expect(long.stderr).toContain('at most 200 characters');
    expect((await cli(env, 'mute', a.sessionId!, '--for', '1h')).code).not.toBe(0);
  });

  // Last: it moves the server's clock hours ahead of the CLI's (real) one.
  it('a room mute: posts, edits, deletes and uploads refused with 403 and the reason; reads and reactions go on; others and moderators unaffected; it ends by itself', async () => {
    await createRoom(ctx, 'hush');
    await createRoom(ctx, 'hush-other');
    const [loud, quiet, mod] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    await grantRoom(ctx, 'hush', mod);
    const earlier = await post(loud, 'hush');
    expect((await desktopPoll(loud, 'hush')).pollInfo).toMatchObject({ write: true, upload: true });

    const out = await cliOk(env, 'mute', loud.sessionId!, '--room', 'hush', '--for', '4h', '--reason', 'posting links again');
    expect(out).toContain(`${loud.sessionId} is muted in hush until`);
    // The CLI is another process: the server learns of the change by notification, a moment later.
    await eventually(async () => expect((await desktopPoll(loud, 'hush')).pollInfo.write).toBe(false));

    const refused = await tryPost(loud, 'hush');
    expect(refused.code).toBe(403);
    expect(refused.text()).toMatch(/^You are muted in this room until \d{4}-\d\d-\d\d \d\d:\d\d UTC: posting links again$/);
    const until = new Date(ctx.clock.now() + 4 * 3600_000).toISOString().slice(0, 13);
    expect(refused.text()).toContain(until.replace('T', ' '));
    expect((await loud.put(`/room/hush/message/${earlier.id}`, messageBody())).text()).toContain('posting links again');
    expect((await loud.delete(`/room/hush/message/${earlier.id}`)).code).toBe(403);
    const upload = await loud.request({ method: 'POST', path: '/room/hush/file', body: 'a file', headers: { 'Content-Disposition': 'attachment; filename="a.txt"' } });
    expect(upload.code).toBe(403);
    expect(upload.text()).toContain('posting links again');
    // Reactions need only read (protocol §6.4): a mute does not stop them.
    expectStatus(await loud.put(`/room/hush/reaction/${earlier.id}/${encodeURIComponent('👍')}`, {}), 200);
    // Desktop learns write=false from its poll and hides the composer; it still reads everything.
    const polled = await desktopPoll(loud, 'hush');
    expect(polled.pollInfo).toMatchObject({ write: false, upload: false });
    expect(polled.since.map((m) => m.id)).toContain(earlier.id);
    // Moderators' clients see it as a write=false override (protocol §6.7).
    const perms = await mod.get(`/room/hush/permissions/${loud.sessionId}`);
    expect(perms.json<Json>()).toEqual({ write: false });

    // Others, other rooms and moderators are unaffected; a moderator cannot be muted.
    await post(quiet, 'hush');
    await post(loud, 'hush-other');
    await post(mod, 'hush');
    const muteMod = await cli(env, 'mute', mod.sessionId!, '--room', 'hush', '--for', '1h');
    expect(muteMod.code).not.toBe(0);
    expect(muteMod.stderr).toContain('Moderators and admins cannot be muted');

    // The end comes with the apply-futures job once its time has passed.
    ctx.clock.advance(3 * 3600_000);
    await moderation.applyDueFutures(ctx.clock.seconds());
    expect((await tryPost(loud, 'hush')).code).toBe(403);
    ctx.clock.advance(3600_000 + 1000);
    expect((await moderation.applyDueFutures(ctx.clock.seconds())).mutes).toBe(1);
    await eventually(async () => expect((await tryPost(loud, 'hush')).code).toBe(201));
    expect((await desktopPoll(loud, 'hush')).pollInfo).toMatchObject({ write: true });
    expect((await mod.get(`/room/hush/permissions/${loud.sessionId}`)).json<Json>()).toEqual({});
  });

  it("mute list: the mutes in force with their end and reason, global ones with a room's, --global alone, --json; an ended mute is gone", async () => {
    await createRoom(ctx, 'quiet');
    await createRoom(ctx, 'other');
    const [g, q, o] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    for (const u of [g, q, o]) await u.get('/capabilities');
    // Longer than the server's clock is ahead of the CLI's (the test above), or the futures job ends them.
    await cliOk(env, 'mute', g.sessionId!, '--global', '--for', '2d', '--reason', 'cool down');
    await cliOk(env, 'mute', q.sessionId!, '--room', 'quiet', '--for', '1d');
    await cliOk(env, 'mute', o.sessionId!, '--room', 'other', '--for', '1d');
    const list = async (...args: string[]) =>
      (JSON.parse(await cliOk(env, 'mute', 'list', ...args, '--json')) as Json[]).filter((m) => [g, q, o].some((u) => u.sessionId === m.session_id));
    const near = (hours: number) => expect.closeTo(Date.now() / 1000 + hours * 3600, -2);
    expect(await list()).toEqual([
      { session_id: g.sessionId, room: null, until: near(48), reason: 'cool down' },
      { session_id: o.sessionId, room: 'other', until: near(24), reason: null },
      { session_id: q.sessionId, room: 'quiet', until: near(24), reason: null },
    ]);
    expect((await list('--room', 'quiet')).map((m) => m.session_id)).toEqual([g.sessionId, q.sessionId]);
    expect((await list('--global')).map((m) => m.session_id)).toEqual([g.sessionId]);
    const text = await cliOk(env, 'mute', 'list', '--room', 'quiet');
    expect(text).toMatch(new RegExp(`${g.sessionId}\\s+global\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\s+cool down`));
    expect((await cli(env, 'mute', 'list', '--room', 'nosuchroom')).code).not.toBe(0);
    await cliOk(env, 'unmute', q.sessionId!, '--room', 'quiet');
    expect(await cliOk(env, 'mute', 'list', '--room', 'quiet', '--json')).not.toContain(q.sessionId);
    // A mute past its end is over before the futures job clears it (the server's clock, ahead of the CLI's after the test above).
    await moderation.mute(o.sessionId!, { global: true }, 60, null);
    const globalOf = async (u: SogsClient) => (await moderation.mutes(null)).filter((m) => m.sessionId === u.sessionId && m.room === null);
    expect(await globalOf(o)).toHaveLength(1);
    ctx.clock.advance(61_000);
    expect(await globalOf(o)).toEqual([]);
  });
});
