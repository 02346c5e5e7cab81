import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BotsService } from '../../../src/bots/bots.service';
import type { SogsClient } from '../../../src/client';
import { ModerationService } from '../../../src/moderation/moderation.service';
import { PluginHooks } from '../../../src/plugins/plugin-hooks.service';
import { createTestContext, type TestContext } from '../../support/context';
import { desktopDecodeContent, desktopUnpad, desktopVerifySignature } from '../../support/desktop-session';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { communityPost } from '../../support/session-messages';

// issue 16 item 5: the shipped flood guard (plugins/flood-guard.js) as a worker plugin, through
// signed, onion-wrapped requests: near-same texts in several rooms or in a row are held, and the
// moderators of the rooms hear of it in a whisper from the bot that desktop shows and verifies.

const MODULE = join(__dirname, '../../../plugins/flood-guard.js');
const ROOMS = ['flood-a', 'flood-b', 'flood-c'];

interface Msg {
  id: number;
  session_id: string;
  data: string;
  signature: string;
  whisper_mods?: boolean;
}

describe('flood guard', () => {
  let ctx: TestContext;
  let botId: string;
  let mod: SogsClient;
  let reader: SogsClient;

  const post = async (client: SogsClient, room: string, text: string) => {
    const res = await client.post(`/room/${room}/message`, communityPost('content', text));
    expect(res.code).toBe(201);
    return res.json<Msg>().id;
  };
  const recent = async (client: SogsClient, room: string) => (await client.get(`/room/${room}/messages/recent`)).json<Msg[]>();
  const seenBy = async (client: SogsClient, room: string, id: number) => (await recent(client, room)).some((m) => m.id === id);
  /** The bot's whispers in a room as the client decodes them (desktop: signature checked, padding removed). */
  const whispers = async (client: SogsClient, room: string) =>
    (await recent(client, room))
      .filter((m) => m.session_id === botId)
      .map((m) => {
        expect(desktopVerifySignature(m.session_id, m.data, m.signature)).toBe(true);
        expect(m.whisper_mods).toBe(true);
        return desktopDecodeContent(desktopUnpad(Buffer.from(m.data, 'base64'))).body!;
      });

  beforeAll(async () => {
    ctx = await createTestContext({ config: { PLUGIN_DEADLINE: 2, PLUGIN_RELOAD_INTERVAL: 0, RATE_LIMIT_POSTS: 0 } });
    for (const room of ROOMS) await createRoom(ctx, room);
    botId = ctx.server.app.get(BotsService).add('floodbot', 'Flood Guard').sessionId;
    mod = ctx.newUser();
    reader = ctx.newUser();
    const moderation = ctx.server.app.get(ModerationService);
    // Moderator-only whispers need the bot to moderate the rooms (`bots show` gives the id to grant).
    for (const id of [botId, mod.sessionId!]) await moderation.addModerator(id, { rooms: ROOMS });
    mkdirSync(ctx.config.PLUGINS_DIR, { recursive: true });
    writeFileSync(
      join(ctx.config.PLUGINS_DIR, 'flood-guard.json'),
      JSON.stringify({
        enabled: true,
        module: MODULE,
        bot: 'floodbot',
        permissions: ['post'],
        events: ['before-post'],
        settings: { window: 60, repeats: 3, rooms_max: 3, hold_for: 600 },
      }),
      { mode: 0o600 },
    );
    ctx.server.app.get(PluginHooks).reload();
    // The worker answers once it has started: until then posts get its default decision.
    const probe = ctx.newUser();
    await eventually(
      async () => {
        for (let i = 0; i < 3; i++) await post(probe, 'flood-a', 'probe probe probe');
        return (await whispers(mod, 'flood-a')).length > 0;
      },
      20_000,
      'the flood guard answering',
    );
    ctx.clock.advance(601_000);
  });
  afterAll(() => ctx?.close());

  test('the near-same text in three rooms is held from the third on, and every post for a while; the moderators are told by a whisper', async () => {
    const spammer = ctx.newUser();
    const first = await post(spammer, 'flood-a', 'Buy cheap coins now!');
    const second = await post(spammer, 'flood-b', 'buy   cheap  coins now');
    expect(await seenBy(reader, 'flood-a', first)).toBe(true);
    expect(await seenBy(reader, 'flood-b', second)).toBe(true);
    // Folded as the content rules fold it: a Cyrillic С and upper case are the same text.
    const third = await post(spammer, 'flood-c', 'BUY CHEAP \u0421OINS NOW!!!');
    expect(await seenBy(reader, 'flood-c', third)).toBe(false);
    const told = `Flood guard: ${spammer.sessionId} posted the same text in 3 rooms within 60 s; their posts are held for review for 10 minutes.`;
    for (const room of ROOMS) await eventually(async () => (await whispers(mod, room)).includes(told), 10_000, `the whisper in ${room}`);
    // Only moderators get the whisper.
    expect((await recent(reader, 'flood-c')).some((m) => m.session_id === botId)).toBe(false);

    const next = await post(spammer, 'flood-a', 'something else entirely');
    expect(await seenBy(reader, 'flood-a', next)).toBe(false);
    ctx.clock.advance(601_000);
    expect(await seenBy(reader, 'flood-a', await post(spammer, 'flood-a', 'after the hold'))).toBe(true);
  });

  test('the same text three times in a row in one room is held; different texts and moderators are not', async () => {
    const talker = ctx.newUser();
    for (const text of ['first thought', 'second thought', 'third thought', 'fourth thought'])
      expect(await seenBy(reader, 'flood-b', await post(talker, 'flood-b', text))).toBe(true);
    for (let i = 0; i < 3; i++) await post(mod, 'flood-b', 'moderators may repeat themselves');
    expect((await recent(reader, 'flood-b')).filter((m) => m.session_id === mod.sessionId)).toHaveLength(3);

    const repeater = ctx.newUser();
    expect(await seenBy(reader, 'flood-b', await post(repeater, 'flood-b', 'look at me'))).toBe(true);
    expect(await seenBy(reader, 'flood-b', await post(repeater, 'flood-b', 'Look at me!'))).toBe(true);
    expect(await seenBy(reader, 'flood-b', await post(repeater, 'flood-b', 'looook at meee'))).toBe(false);
    const told = `Flood guard: ${repeater.sessionId} posted the same text 3 times in a row within 60 s; their posts are held for review for 10 minutes.`;
    await eventually(async () => (await whispers(mod, 'flood-b')).includes(told), 10_000, 'the whisper');
  });
});
