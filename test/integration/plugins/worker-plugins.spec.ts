import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditService } from '../../../src/audit/audit.service';
import { BotsService } from '../../../src/bots/bots.service';
import { ModerationService } from '../../../src/moderation/moderation.service';
import type { SogsClient } from '../../../src/client';
import { PluginHooks } from '../../../src/plugins/plugin-hooks.service';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { communityPost } from '../../support/session-messages';
import { desktopDecodeContent, desktopPad, desktopTextContent, desktopUnpad, libsessionEncryptForBlinded } from '../../support/desktop-session';
import { cli } from '../cli/cli-helpers';

// issue 16: a real worker plugin (test/fixtures/plugins/guard.js) on the real post path: signed,
// onion-wrapped requests. Its answer is chosen by a tag in the post's text.

const GUARD = join(__dirname, '../../fixtures/plugins/guard.js');

interface Msg {
  id: number;
  session_id: string;
  data: string;
}

describe('worker plugins', () => {
  let ctx: TestContext;
  let hooks: PluginHooks;
  let alice: SogsClient;
  let bob: SogsClient;

  const configure = (config: Record<string, unknown>) => {
    mkdirSync(ctx.config.PLUGINS_DIR, { recursive: true });
    writeFileSync(join(ctx.config.PLUGINS_DIR, 'guard.json'), JSON.stringify({ enabled: true, module: GUARD, ...config }), { mode: 0o600 });
    // What PLUGIN_RELOAD_INTERVAL does, at once.
    hooks.reload();
  };
  const post = (client: SogsClient, text: string) => client.post('/room/lobby/message', communityPost('content', text));
  const seenBy = async (client: SogsClient, id: number) => (await client.get('/room/lobby/messages/recent')).json<Msg[]>().some((m) => m.id === id);
  const textOf = (m: Msg) => desktopDecodeContent(desktopUnpad(Buffer.from(m.data, 'base64'))).body;
  const metric = async (line: RegExp) => (await (await fetch(`${ctx.adminUrl}/metrics`)).text()).split('\n').find((l) => line.test(l));
  /** Waits until the plugin's worker answers again (after a start or a restart). */
  const guardAnswers = () => eventually(async () => (await post(alice, 'probe [refuse]')).code === 403, 20_000, 'the guard plugin answering');

  beforeAll(async () => {
    ctx = await createTestContext({
      config: { PLUGIN_DEADLINE: 1, PLUGIN_RESTART_DELAY: 0.2, PLUGIN_RESTART_MAX_DELAY: 1, PLUGIN_RELOAD_INTERVAL: 0, RATE_LIMIT_POSTS: 0, PLUGIN_MEMORY_LIMIT: 32 },
    });
    hooks = ctx.server.app.get(PluginHooks);
    await createRoom(ctx, 'lobby');
    alice = ctx.newUser();
    bob = ctx.newUser();
    ctx.server.app.get(BotsService).add('guardbot', 'Guard Bot');
    configure({ bot: 'guardbot', permissions: ['post', 'delete', 'react', 'review'] });
    await guardAnswers();
  });
  afterAll(() => ctx?.close());

  test('allow, refuse with the reason, silent and hold decide the post', async () => {
    const allowed = await post(alice, 'hello');
    expect(allowed.code).toBe(201);
    expect(await seenBy(bob, allowed.json<Msg>().id)).toBe(true);

    const refused = await post(alice, 'buy now [refuse]');
    expect(refused.code).toBe(403);
    expect(refused.text()).toBe('The guard plugin refused this');

    const silent = await post(alice, 'quiet [silent]');
    expect(silent.code).toBe(201);
    expect(silent.json<{ filtered?: boolean }>().filtered).toBe(true);
    expect(await seenBy(bob, silent.json<Msg>().id)).toBe(false);

    const held = await post(alice, 'review me [hold]');
    expect(held.code).toBe(201);
    expect(await seenBy(bob, held.json<Msg>().id)).toBe(false);
    // The hold is the plugin's: the held post's audit entry names it, not the posting rules.
    const holds = await ctx.server.app.get(AuditService).list({ target: String(held.json<Msg>().id) });
    expect(holds.map((e) => [e.actor, e.action])).toEqual([['plugin:guard', 'held.hold']]);
    expect(await metric(/^scs_plugin_calls_total\{plugin="guard",event="before-post",outcome="refuse"\} [1-9]/)).toBeDefined();
  });

  test('shared state: a counter kept between calls; a value too large and too many operations at once are refused to the plugin', async () => {
    expect((await post(alice, 'one [count]')).text()).toBe('count 1');
    expect((await post(alice, 'two [count]')).text()).toBe('count 2');
    expect((await post(bob, 'one [count]')).text()).toBe('count 1');
    expect((await post(alice, 'big [state-big]')).text()).toBe('a state value is at most 4096 bytes as JSON (PLUGIN_STATE_VALUE_MAX_BYTES)');
    expect((await post(alice, 'many [state-flood]')).text()).toBe('more than 32 state operations at once (PLUGIN_STATE_CONCURRENCY)');
  });

  test('a plugin that throws, answers nonsense or misses the deadline gets its default decision: allow, then hold', async () => {
    for (const tag of ['[throw]', '[invalid]', '[slow]']) {
      const res = await post(alice, `default ${tag}`);
      expect(res.code).toBe(201);
      expect(await seenBy(bob, res.json<Msg>().id)).toBe(true);
    }
    expect(await metric(/^scs_plugin_calls_total\{plugin="guard",event="before-post",outcome="timeout"\} [1-9]/)).toBeDefined();
    expect(await metric(/^scs_plugin_calls_total\{plugin="guard",event="before-post",outcome="error"\} [1-9]/)).toBeDefined();
    expect(await metric(/^scs_plugin_calls_total\{plugin="guard",event="before-post",outcome="invalid"\} [1-9]/)).toBeDefined();

    configure({ bot: 'guardbot', permissions: ['post', 'delete', 'react', 'review'], default: 'hold' });
    await guardAnswers();
    const res = await post(alice, 'held by default [throw]');
    expect(res.code).toBe(201);
    expect(await seenBy(bob, res.json<Msg>().id)).toBe(false);
    configure({ bot: 'guardbot', permissions: ['post', 'delete', 'react', 'review'] });
    await guardAnswers();
  });

  test.each(['[loop]', '[crash]', '[oom]'])('a plugin that %s is restarted, and posts are answered meanwhile', async (tag) => {
    const restarts = async () => Number((await metric(/^scs_plugin_restarts_total\{plugin="guard"\}/))?.split(' ')[1] ?? 0);
    const before = await restarts();
    expect((await post(alice, `bad ${tag}`)).code).toBe(201);
    // While it is down or stuck, every post is answered (its default: allow) and none waits for it.
    for (let i = 0; i < 3; i++) expect((await post(bob, `meanwhile ${i}`)).code).toBe(201);
    await eventually(async () => (await restarts()) > before, 20_000, 'a restart');
    await guardAnswers();
  });

  test("the plugin's actions: granted ones run as its bot or as the server, audit-logged as plugin:guard; others are refused", async () => {
    const bot = ctx.server.app.get(BotsService).identity('guardbot');
    const echoed = (await post(alice, 'say it back [echo]')).json<Msg>();
    await eventually(async () => {
      const msgs = (await bob.get('/room/lobby/messages/recent')).json<Msg[]>();
      return msgs.some((m) => m.session_id === bot.sessionId);
    });
    await eventually(async () => {
      const m = (await bob.get(`/room/lobby/message/${echoed.id}`)).json<{ reactions: Record<string, { count: number }> }>();
      return m.reactions['👀']?.count === 1;
    });
    const held = (await post(alice, 'held, then approved by the plugin [hold] [approve]')).json<Msg>();
    await eventually(() => seenBy(bob, held.id), 10_000, 'the approved post');
    const gone = (await post(alice, 'remove this [delete-me]')).json<Msg>();
    await eventually(async () => !(await seenBy(bob, gone.id)));
    const audit = ctx.server.app.get(AuditService);
    await eventually(async () => {
      const actions = (await audit.list({ actor: 'plugin:guard' })).map((e) => e.action);
      return ['plugin.post', 'plugin.react', 'held.approve', 'message.delete'].every((a) => actions.includes(a));
    });

    // Not granted "ban": the post is refused with the reason, the ban is not made.
    const carol = ctx.newUser();
    expect((await post(carol, 'spam [ban-me]')).code).toBe(403);
    await eventually(async () => (await metric(/^scs_plugin_actions_total\{plugin="guard",action="ban",outcome="denied"\} 1/)) !== undefined);
    expect((await post(carol, 'still here')).code).toBe(201);

    configure({ bot: 'guardbot', permissions: ['post', 'delete', 'react', 'review', 'ban'] });
    await guardAnswers();
    expect((await post(carol, 'spam again [ban-me]')).code).toBe(403);
    await eventually(async () => (await post(carol, 'after the ban')).code === 403);
    expect((await audit.list({ actor: 'plugin:guard' })).some((e) => e.action === 'ban' && e.target === carol.sessionId)).toBe(true);

    // The end of the timed ban (the futures job) is told as an `unbanned` by `system`, as a moderator's unban is told.
    await ctx.server.app.get(ModerationService).applyDueFutures(Math.floor(Date.now() / 1000) + 3601);
    const told = `unbanned ${carol.sessionId} by system`;
    await eventually(
      async () => (await bob.get('/room/lobby/messages/recent')).json<Msg[]>().some((m) => m.session_id === bot.sessionId && textOf(m) === told),
      10_000,
      'the unbanned notification',
    );
    expect((await post(carol, 'back again')).code).toBe(201);
  });

  test('a timed permission change: read-only now, writable again when it ends (protocol §6.7 futures)', async () => {
    configure({ bot: 'guardbot', permissions: ['permissions'] });
    await guardAnswers();
    const erin = ctx.newUser();
    expect((await post(erin, 'make me read-only [read-only]')).code).toBe(201);
    await eventually(async () => (await post(erin, 'can I?')).code === 403, 10_000, 'the read-only override');
    const moderation = ctx.server.app.get(ModerationService);
    await moderation.applyDueFutures(Math.floor(Date.now() / 1000) + 601);
    await eventually(async () => (await post(erin, 'writable again')).code === 201, 10_000, 'the restored write permission');
    expect((await ctx.server.app.get(AuditService).list({ actor: 'plugin:guard', target: erin.sessionId! })).map((e) => e.action)).toEqual(
      expect.arrayContaining(['permissions.set', 'permissions.schedule']),
    );
    configure({ bot: 'guardbot', permissions: ['post', 'delete', 'react', 'review'] });
    await guardAnswers();
  });

  test('a mute: writes refused with the reason until it ends', async () => {
    configure({ bot: 'guardbot', permissions: ['mute'] });
    await guardAnswers();
    const frank = ctx.newUser();
    expect((await post(frank, 'mute me [mute-me]')).code).toBe(201);
    await eventually(async () => (await post(frank, 'muted?')).code === 403, 10_000, 'the mute');
    expect((await post(frank, 'muted?')).text()).toMatch(/Quiet for a while/);
    await ctx.server.app.get(ModerationService).applyDueFutures(Math.floor(Date.now() / 1000) + 601);
    await eventually(async () => (await post(frank, 'free again')).code === 201, 10_000, 'the end of the mute');
    expect((await ctx.server.app.get(AuditService).list({ actor: 'plugin:guard', target: frank.sessionId! })).map((e) => e.action)).toContain('mute');
    configure({ bot: 'guardbot', permissions: ['post', 'delete', 'react', 'review'] });
    await guardAnswers();
  });

  test('before-reaction: a refusal is a 403 with the reason, silent or hold is counted for the reactor only', async () => {
    const m = (await post(alice, 'react to me')).json<Msg>();
    const refused = await bob.put(`/room/lobby/reaction/${m.id}/${encodeURIComponent('[refuse]')}`, {});
    expect(refused.code).toBe(403);
    expect(refused.text()).toBe('The guard plugin refused this');
    expect((await bob.put(`/room/lobby/reaction/${m.id}/${encodeURIComponent('[hold]')}`, {})).code).toBe(200);
    expect((await bob.put(`/room/lobby/reaction/${m.id}/👍`, {})).code).toBe(200);
    const seen = (await alice.get(`/room/lobby/message/${m.id}`)).json<{ reactions: Record<string, unknown> }>();
    expect(Object.keys(seen.reactions)).toEqual(['👍']);
  });

  test('before-upload: the plugin sees the SHA-256 and size, on room and file-server uploads alike', async () => {
    const thirteen = Buffer.from('thirteen byte');
    const room = await alice.request({ method: 'POST', path: '/room/lobby/file', body: thirteen, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(room.code).toBe(403);
    expect(room.text()).toBe('No 13-byte files');
    expect((await ctx.anon().request({ method: 'POST', path: '/file', body: thirteen })).code).toBe(403);
    expect(
      (await alice.request({ method: 'POST', path: '/room/lobby/file', body: Buffer.from('fourteen bytes'), headers: { 'Content-Type': 'application/octet-stream' } })).code,
    ).toBe(201);
  });

  test("before-bot-dm: a DM to the plugin's bot reaches it opened; refuse is a 403, silent is answered and not stored", async () => {
    const bots = ctx.server.app.get(BotsService);
    const botId = bots.identity('guardbot').sessionId;
    const dm = (text: string) => ({
      message: Buffer.from(libsessionEncryptForBlinded(alice.seed!, ctx.server.serverKey.publicKey, botId, desktopPad(desktopTextContent(text, 'Alice')))).toString('base64'),
    });
    const refused = await alice.post(`/inbox/${botId}`, dm('[refuse]'));
    expect(refused.code).toBe(403);
    expect(refused.text()).toBe('The guard plugin refused this');
    expect((await alice.post(`/inbox/${botId}`, dm('stop'))).code).toBe(201);
    expect((await alice.post(`/inbox/${botId}`, dm('hello bot'))).code).toBe(201);
    expect((await bots.inboxOf('guardbot')).map((m) => m.text)).toEqual(['hello bot']);
  });

  test('plugins list, disable and enable: a disabled plugin decides nothing', async () => {
    const env = { PLUGINS_DIR: ctx.config.PLUGINS_DIR };
    const list = await cli(env, 'plugins', 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'guard', enabled: true, kind: 'worker', default: 'allow', bot: 'guardbot' })]);
    expect((await cli(env, 'plugins', 'disable', 'guard')).code).toBe(0);
    hooks.reload();
    expect(hooks.active()).toEqual([]);
    expect((await post(alice, 'nobody refuses [refuse]')).code).toBe(201);
    expect((await cli(env, 'plugins', 'enable', 'guard')).code).toBe(0);
    hooks.reload();
    await guardAnswers();
    const unknown = await cli(env, 'plugins', 'enable', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No plugin named "nope"/);
  });
});
