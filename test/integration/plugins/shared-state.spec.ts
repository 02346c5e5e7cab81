import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BotsService } from '../../../src/bots/bots.service';
import { SogsClient } from '../../../src/client';
import { ModerationService } from '../../../src/moderation/moderation.service';
import { PluginHooks } from '../../../src/plugins/plugin-hooks.service';
import type { RunningServer } from '../../../src/server';
import { createTestContext, type TestContext } from '../../support/context';
import { desktopDecodeContent, desktopDecryptBlinded, desktopPad, desktopTextContent, desktopUnpad, libsessionEncryptForBlinded } from '../../support/desktop-session';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { communityPost } from '../../support/session-messages';

// issue 16: plugin state is shared by every process and replica (Redis), so the shipped bots work
// whichever one a request lands on. Two app instances on one PostgreSQL database and one Redis
// prefix, each running its own greeter and flood guard workers: the captcha is asked through one
// and answered through the other, and the flood guard counts posts made through both.

const GREETER = join(__dirname, '../../../plugins/greeter.js');
const FLOOD_GUARD = join(__dirname, '../../../plugins/flood-guard.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EMOJI } = require(GREETER) as { EMOJI: Record<string, string> };
const ROOMS = ['flood-a', 'flood-b', 'flood-c'];

interface Msg {
  id: number;
  session_id: string;
}

describe('plugin state across two app instances', () => {
  let ctx: TestContext;
  let replica: RunningServer;
  let greeterId: string;
  const seen = new Map<string, number>();

  /** The same user (seed) talking to instance A (the context's server) or B (the replica). */
  const on = (server: RunningServer, user: SogsClient) => new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed: user.seed! });
  const post = (client: SogsClient, room: string, text: string) => client.post(`/room/${room}/message`, communityPost('content', text));
  const seenBy = async (client: SogsClient, room: string, id: number) => (await client.get(`/room/${room}/messages/recent`)).json<Msg[]>().some((m) => m.id === id);
  const posted = async (client: SogsClient, room: string, text: string) => {
    const res = await post(client, room, text);
    expect(res.code).toBe(201);
    return res.json<Msg>().id;
  };
  /** The greeter's next DM to the user, as desktop reads it. */
  const nextDm = async (client: SogsClient): Promise<string> => {
    let dm: { id: number; sender: string; message: string } | undefined;
    await eventually(
      async () => {
        dm = (await client.get('/inbox')).json<Array<{ id: number; sender: string; message: string }>>().find((m) => m.id > (seen.get(client.sessionId!) ?? 0));
        return dm !== undefined;
      },
      20_000,
      'a DM from the greeter',
    );
    seen.set(client.sessionId!, dm!.id);
    expect(dm!.sender).toBe(greeterId);
    const { plainText } = desktopDecryptBlinded(Buffer.from(dm!.message, 'base64'), false, dm!.sender, ctx.server.serverKey.publicKey, client.seed!);
    return desktopDecodeContent(desktopUnpad(plainText)).body!;
  };
  const reply = (client: SogsClient, text: string) =>
    client.post(`/inbox/${greeterId}`, {
      message: Buffer.from(libsessionEncryptForBlinded(client.seed!, ctx.server.serverKey.publicKey, greeterId, desktopPad(desktopTextContent(text, 'Newcomer')))).toString(
        'base64',
      ),
    });
  const asked = (text: string) => EMOJI[/emoji of an? (\w+):/.exec(text)![1]];
  const plugin = (name: string, config: Record<string, unknown>) =>
    writeFileSync(join(ctx.config.PLUGINS_DIR, `${name}.json`), JSON.stringify({ enabled: true, ...config }), { mode: 0o600 });
  /** Each instance's flood guard answers (a probe user's third same post is held), so no post below gets a default decision. */
  const floodGuardAnswers = async (server: RunningServer) => {
    const probe = on(server, ctx.newUser());
    await eventually(
      async () => {
        let last = 0;
        for (let i = 0; i < 3; i++) last = await posted(probe, 'flood-a', 'probe probe probe');
        return !(await seenBy(ctx.newUser(), 'flood-a', last));
      },
      30_000,
      'the flood guard answering',
    );
  };

  /** Each instance's greeter worker answers: a probe user's first visit of the gated room through it gets the question. */
  const greeterAnswers = async (server: RunningServer) => {
    const probe = on(server, ctx.newUser());
    expect((await probe.get('/room/gated/messages/recent')).code).toBe(200);
    expect(await nextDm(probe)).toMatch(/emoji of an? \w+:/);
  };

  beforeAll(async () => {
    // A 5 s deadline only so that a loaded CI machine does not turn a slow answer into a default decision.
    ctx = await createTestContext({ config: { PLUGIN_DEADLINE: 5, PLUGIN_RELOAD_INTERVAL: 0, RATE_LIMIT_POSTS: 0 } });
    await createRoom(ctx, 'gated');
    for (const room of ROOMS) await createRoom(ctx, room);
    const bots = ctx.server.app.get(BotsService);
    greeterId = bots.add('greeter', 'Greeter').sessionId;
    const floodBot = bots.add('floodbot', 'Flood Guard').sessionId;
    await ctx.server.app.get(ModerationService).addModerator(floodBot, { rooms: ROOMS });
    mkdirSync(ctx.config.PLUGINS_DIR, { recursive: true });
    plugin('greeter', {
      module: GREETER,
      bot: 'greeter',
      permissions: ['dm', 'permissions', 'note'],
      events: ['first-request-in-room', 'before-bot-dm'],
      settings: { rooms: ['gated'], tries: 2 },
    });
    plugin('flood-guard', {
      module: FLOOD_GUARD,
      bot: 'floodbot',
      permissions: ['post'],
      events: ['before-post'],
      settings: { window: 60, repeats: 3, rooms_max: 3, hold_for: 600 },
    });
    // What PLUGIN_RELOAD_INTERVAL does, at once, on A; B loads them as it starts.
    ctx.server.app.get(PluginHooks).reload();
    replica = await ctx.startReplica();
    await floodGuardAnswers(ctx.server);
    await floodGuardAnswers(replica);
    await greeterAnswers(ctx.server);
    await greeterAnswers(replica);
  });
  afterAll(() => ctx?.close());

  test("the greeter's question asked through one instance is answered through the other, and restores write access", async () => {
    const alice = ctx.newUser();
    const [viaA, viaB] = [on(ctx.server, alice), on(replica, alice)];
    expect((await viaA.get('/room/gated/messages/recent')).code).toBe(200);
    const question = await nextDm(viaA);
    await eventually(async () => (await post(viaA, 'gated', 'hello?')).code === 403, 10_000, 'the gate');
    // Answered through B: B's greeter worker finds the question A's asked.
    expect((await reply(viaB, asked(question))).code).toBe(201);
    expect(await nextDm(viaB)).toBe('Thank you! You can post in gated now.');
    await eventually(async () => (await post(viaA, 'gated', 'hello from A')).code === 201, 10_000, 'write access back (A)');
    expect((await post(viaB, 'gated', 'hello from B')).code).toBe(201);
  });

  test('wrong answers count across instances', async () => {
    const bob = ctx.newUser();
    const [viaA, viaB] = [on(ctx.server, bob), on(replica, bob)];
    expect((await viaB.get('/room/gated/messages/recent')).code).toBe(200);
    const first = await nextDm(viaB);
    expect(
      (
        await reply(
          viaA,
          Object.values(EMOJI).find((e) => e !== asked(first))!,
        )
      ).code,
    ).toBe(201);
    const second = await nextDm(viaA);
    expect(second).toMatch(/^That is not right \(1 tries left\)/);
    expect(
      (
        await reply(
          viaB,
          Object.values(EMOJI).find((e) => e !== asked(second))!,
        )
      ).code,
    ).toBe(201);
    expect(await nextDm(viaB)).toMatch(/Too many wrong answers: write to me again/);
    expect((await reply(viaA, asked(second))).code).toBe(201);
    expect(await nextDm(viaA)).toMatch(/^Too many wrong answers; try again in/);
  });

  test('the flood guard sees posts made through both instances', async () => {
    const reader = ctx.newUser();
    const spammer = ctx.newUser();
    const [viaA, viaB] = [on(ctx.server, spammer), on(replica, spammer)];
    expect(await seenBy(reader, 'flood-a', await posted(viaA, 'flood-a', 'Buy cheap coins now!'))).toBe(true);
    expect(await seenBy(reader, 'flood-b', await posted(viaB, 'flood-b', 'buy cheap coins now'))).toBe(true);
    expect(await seenBy(reader, 'flood-c', await posted(viaA, 'flood-c', 'BUY CHEAP COINS NOW'))).toBe(false);
    // Held everywhere for a while, whichever instance the post lands on.
    expect(await seenBy(reader, 'flood-a', await posted(viaB, 'flood-a', 'something else'))).toBe(false);

    const repeater = ctx.newUser();
    const [rA, rB] = [on(ctx.server, repeater), on(replica, repeater)];
    expect(await seenBy(reader, 'flood-b', await posted(rA, 'flood-b', 'look at me'))).toBe(true);
    expect(await seenBy(reader, 'flood-b', await posted(rB, 'flood-b', 'Look at me!'))).toBe(true);
    expect(await seenBy(reader, 'flood-b', await posted(rA, 'flood-b', 'looook at meee'))).toBe(false);
  });

  test('state keys and values name nobody: the plugin, then a pseudonym', async () => {
    const redis = new Redis(ctx.config.REDIS_URL);
    try {
      const keys = await redis.keys(`${ctx.config.REDIS_PREFIX}pstate:*`);
      const names = keys.map((k) => k.slice(ctx.config.REDIS_PREFIX.length));
      expect(new Set(names.map((n) => n.split(':')[1]))).toEqual(new Set(['greeter', 'flood-guard']));
      for (const n of names) expect(n).toMatch(/^pstate:[a-z-]+:[0-9a-f]{32}$/);
      for (const k of keys) {
        const type = await redis.type(k);
        const values = type === 'zset' ? await redis.zrange(k, '0', '-1') : [await redis.get(k)];
        for (const v of values) expect(v).not.toMatch(/(05|15|25)[0-9a-f]{64}/);
      }
    } finally {
      redis.disconnect();
    }
  });
});
