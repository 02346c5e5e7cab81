import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditService } from '../../../src/audit/audit.service';
import { BotsService } from '../../../src/bots/bots.service';
import type { SogsClient } from '../../../src/client';
import { PluginHooks } from '../../../src/plugins/plugin-hooks.service';
import { createTestContext, type TestContext } from '../../support/context';
import { desktopDecodeContent, desktopDecryptBlinded, desktopPad, desktopTextContent, desktopUnpad, libsessionEncryptForBlinded } from '../../support/desktop-session';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { cli } from '../cli/cli-helpers';
import { communityPost } from '../../support/session-messages';

// issue 16 item 5: the shipped greeter + captcha gate (plugins/greeter.js) as a worker plugin,
// with users who act as a stock client does: they read the bot's DM as desktop does, answer it
// with a blinded DM, and post.

const MODULE = join(__dirname, '../../../plugins/greeter.js');
// The plugin's own table of emoji by name, to answer its question as a person would.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EMOJI } = require(MODULE) as { EMOJI: Record<string, string> };

interface Dm {
  id: number;
  sender: string;
  message: string;
}

describe('greeter + captcha gate', () => {
  let ctx: TestContext;
  let botId: string;
  const seen = new Map<SogsClient, number>();

  const post = (client: SogsClient, room: string, text: string) => client.post(`/room/${room}/message`, communityPost('content', text));
  /** The bot's next DM to the client, decrypted and its sender checked exactly as desktop does. */
  const nextDm = async (client: SogsClient): Promise<string> => {
    let dm: Dm | undefined;
    await eventually(
      async () => {
        dm = (await client.get('/inbox')).json<Dm[]>().find((m) => m.id > (seen.get(client) ?? 0));
        return dm !== undefined;
      },
      20_000,
      'a DM from the bot',
    );
    seen.set(client, dm!.id);
    expect(dm!.sender).toBe(botId);
    const { plainText } = desktopDecryptBlinded(Buffer.from(dm!.message, 'base64'), false, dm!.sender, ctx.server.serverKey.publicKey, client.seed!);
    const content = desktopDecodeContent(desktopUnpad(plainText));
    expect(content.displayName).toBe('Greeter');
    return content.body!;
  };
  const reply = (client: SogsClient, text: string) =>
    client.post(`/inbox/${botId}`, {
      message: Buffer.from(libsessionEncryptForBlinded(client.seed!, ctx.server.serverKey.publicKey, botId, desktopPad(desktopTextContent(text, 'Newcomer')))).toString('base64'),
    });
  const asked = (text: string) => {
    const name = /emoji of an? (\w+):/.exec(text)?.[1];
    expect(name && EMOJI[name]).toBeTruthy();
    return EMOJI[name!];
  };
  const wrongFor = (right: string) => Object.values(EMOJI).find((e) => e !== right)!;

  beforeAll(async () => {
    ctx = await createTestContext({ config: { PLUGIN_DEADLINE: 2, PLUGIN_RELOAD_INTERVAL: 0, RATE_LIMIT_POSTS: 0 } });
    await createRoom(ctx, 'gated');
    await createRoom(ctx, 'open');
    botId = ctx.server.app.get(BotsService).add('greeter', 'Greeter').sessionId;
    mkdirSync(ctx.config.PLUGINS_DIR, { recursive: true });
    writeFileSync(
      join(ctx.config.PLUGINS_DIR, 'greeter.json'),
      JSON.stringify({
        enabled: true,
        module: MODULE,
        bot: 'greeter',
        permissions: ['dm', 'permissions', 'note'],
        events: ['first-request-in-room', 'before-bot-dm'],
        settings: { rooms: ['gated'], tries: 2, lockout: 600 },
      }),
      { mode: 0o600 },
    );
    ctx.server.app.get(PluginHooks).reload();
  });
  afterAll(() => ctx?.close());

  test('a newcomer is read-only in the gated room until they answer the emoji question; the right answer gives write access back', async () => {
    const alice = ctx.newUser();
    // Their first request in the room: the bot makes them read-only and asks.
    expect((await alice.get('/room/gated/messages/recent')).code).toBe(200);
    const question = await nextDm(alice);
    expect(question).toMatch(/^Welcome to gated! To post, reply to this message with the emoji of a/);
    await eventually(async () => (await post(alice, 'gated', 'hello?')).code === 403, 10_000, 'the gate');
    // A room without the gate is not touched.
    expect((await alice.get('/room/open/messages/recent')).code).toBe(200);
    expect((await post(alice, 'open', 'hello open')).code).toBe(201);

    // The answer is taken by the bot (not stored in its inbox), and the post goes through.
    expect((await reply(alice, ` ${asked(question)}\uFE0F `)).code).toBe(201);
    expect(await nextDm(alice)).toBe('Thank you! You can post in gated now.');
    await eventually(async () => (await post(alice, 'gated', 'hello, I am human')).code === 201, 10_000, 'write access back');
    expect(await ctx.server.app.get(BotsService).inboxOf('greeter')).toEqual([]);

    const audit = (await ctx.server.app.get(AuditService).list({ actor: 'plugin:greeter' })).filter((e) => e.target === alice.sessionId);
    // Newest first: the gate (write=false, set back after the gate's time), the question, the answer taken (write back to the room's default), the thanks.
    expect(audit.reverse().map((e) => [e.action, (e.details as { write?: boolean | null } | null)?.write])).toEqual([
      ['permissions.set', false],
      ['permissions.schedule', true],
      ['plugin.dm', undefined],
      ['permissions.set', null],
      ['plugin.dm', undefined],
    ]);
  });

  test('wrong answers count: after the allowed tries the user stays read-only, and gets a new question after the lockout', async () => {
    const bob = ctx.newUser();
    expect((await bob.get('/room/gated/messages/recent')).code).toBe(200);
    const first = await nextDm(bob);
    const right = asked(first);
    expect((await reply(bob, wrongFor(right))).code).toBe(201);
    const second = await nextDm(bob);
    expect(second).toMatch(/^That is not right \(1 tries left\)\. To post, reply/);
    expect((await reply(bob, wrongFor(asked(second)))).code).toBe(201);
    expect(await nextDm(bob)).toMatch(/Too many wrong answers: write to me again in 10 minutes/);
    // Locked: even the right answer does not open the room.
    expect((await reply(bob, asked(second))).code).toBe(201);
    expect(await nextDm(bob)).toMatch(/^Too many wrong answers; try again in 10 minutes/);
    expect((await post(bob, 'gated', 'let me in')).code).toBe(403);
    // Every wrong answer is in the audit log as the bot's note, and was answered by a DM.
    const bobs = (await ctx.server.app.get(AuditService).list({ actor: 'plugin:greeter' })).filter((e) => e.target === bob.sessionId);
    expect(bobs.filter((e) => e.action === 'plugin.note').map((e) => e.reason)).toEqual(['captcha: wrong answer 2 of 2', 'captcha: wrong answer 1 of 2']);
    expect(bobs.filter((e) => e.action === 'plugin.dm').length).toBeGreaterThanOrEqual(4);

    ctx.clock.advance(601_000);
    expect((await reply(bob, 'again please')).code).toBe(201);
    const fresh = await nextDm(bob);
    expect(fresh).toMatch(/^To post, reply/);
    expect((await reply(bob, asked(fresh))).code).toBe(201);
    expect(await nextDm(bob)).toBe('Thank you! You can post in gated now.');
    await eventually(async () => (await post(bob, 'gated', 'in at last')).code === 201, 10_000, 'write access back');
  });

  test('plugins rooms turns the gate on and off per room', async () => {
    const env = { PLUGINS_DIR: ctx.config.PLUGINS_DIR };
    const added = await cli(env, 'plugins', 'rooms', 'greeter', '--add', 'later', '--json');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ name: 'greeter', rooms: ['gated', 'later'] });
    const bad = await cli(env, 'plugins', 'rooms', 'greeter', '--add', 'no such/room');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"no such\/room" is not a room token/);
    await createRoom(ctx, 'later');
    const hooks = ctx.server.app.get(PluginHooks);
    hooks.reload();
    const carol = ctx.newUser();
    await eventually(
      async () => {
        expect((await carol.get('/room/later/messages/recent')).code).toBe(200);
        return (await post(carol, 'later', 'am I gated?')).code === 403;
      },
      20_000,
      'the gate in the added room',
    );
    expect(await nextDm(carol)).toMatch(/^Welcome to later!/);

    expect((await cli(env, 'plugins', 'rooms', 'greeter', '--remove', 'later', '--remove', 'gated')).stdout).toMatch(/Plugin greeter rooms: \(none\)/);
  });
});
