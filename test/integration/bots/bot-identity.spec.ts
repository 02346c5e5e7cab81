import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { BotsService } from '../../../src/bots/bots.service';
import { sessionIdFromEd25519Pub, ed25519PublicKey } from '../../../src/crypto';
import { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';
import {
  desktopDecodeContent,
  desktopDecryptBlinded,
  desktopPad,
  desktopTextContent,
  desktopUnpad,
  desktopVerifySignature,
  libsessionEncryptForBlinded,
} from '../../support/desktop-session';

// issue 16 item 3: a bot speaks Session. Its post and DM are read the way session-desktop reads them
// (test/support/desktop-session.ts, written from desktop's code, not from the server's encoder).

interface Msg {
  id: number;
  session_id: string;
  posted: number;
  data: string;
  signature: string;
}
interface Dm {
  id: number;
  sender: string;
  recipient: string;
  message: string;
  posted_at: number;
}

describe('bot identity', () => {
  let ctx: TestContext;
  let bots: BotsService;
  beforeAll(async () => {
    ctx = await createTestContext();
    bots = ctx.server.app.get(BotsService);
    await createRoom(ctx, 'lobby');
  });
  afterAll(() => ctx?.close());

  test('the key is created mode 0600 under BOTS_DIR; the blinded id is the one the seed gives on this server', () => {
    const bot = bots.add('greeter', 'Greeter Bot');
    expect(bot.sessionId).toMatch(/^15[0-9a-f]{64}$/);
    expect(statSync(join(ctx.config.BOTS_DIR, 'greeter.key')).mode & 0o777).toBe(0o600);
    expect(bots.list().map((b) => b.name)).toEqual(['greeter']);
    expect(() => bots.add('greeter', 'Again')).toThrow(/already exists/);
  });

  test("a stock client verifies the bot's post and shows its text and display name", async () => {
    const posted = await bots.post('greeter', 'lobby', 'Welcome to the lobby! 👋');
    const reader = ctx.newUser();
    const msgs = (await reader.get('/room/lobby/messages/recent')).json<Msg[]>();
    const m = msgs.find((x) => x.id === posted.id)!;
    expect(m.session_id).toBe(bots.identity('greeter').sessionId);
    expect(desktopVerifySignature(m.session_id, m.data, m.signature)).toBe(true);
    const tampered = Buffer.from(m.data, 'base64');
    tampered[3] ^= 1;
    expect(desktopVerifySignature(m.session_id, tampered.toString('base64'), m.signature)).toBe(false);
    const padded = Buffer.from(m.data, 'base64');
    expect((padded.length + 1) % 160).toBe(0);
    const content = desktopDecodeContent(desktopUnpad(padded));
    expect(content).toMatchObject({ body: 'Welcome to the lobby! 👋', displayName: 'Greeter Bot' });
    // desktop's shouldProcessContentMessage: within 6 hours of the server's `posted`.
    expect(Math.abs(content.sigTimestamp! - m.posted * 1000)).toBeLessThan(6 * 3600 * 1000);
  });

  test('the bot meets the room rules users meet: no write permission, no post', async () => {
    await createRoom(ctx, 'readonly', { write: false });
    await expect(bots.post('greeter', 'readonly', 'hi')).rejects.toThrow(/permission/i);
  });

  test("a stock client decrypts the bot's DM, and the bot decrypts the client's reply", async () => {
    const seed = new Uint8Array(randomBytes(32));
    const user = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.server.serverKey.publicKey, seed });
    expect((await user.get('/inbox')).code).toBe(200); // the user exists
    const botId = bots.identity('greeter').sessionId;
    await bots.dm('greeter', user.sessionId!, 'What is 🍎 + 🍎?');

    const [dm] = (await user.get('/inbox')).json<Dm[]>();
    expect(dm.sender).toBe(botId);
    const { plainText, senderUnblinded } = desktopDecryptBlinded(Buffer.from(dm.message, 'base64'), false, dm.sender, ctx.server.serverKey.publicKey, seed);
    expect(senderUnblinded).toMatch(/^05[0-9a-f]{64}$/);
    expect(desktopDecodeContent(desktopUnpad(plainText))).toMatchObject({ body: 'What is 🍎 + 🍎?', displayName: 'Greeter Bot' });

    const reply = libsessionEncryptForBlinded(seed, ctx.server.serverKey.publicKey, botId, desktopPad(desktopTextContent('two', 'Alice')));
    expect((await user.post(`/inbox/${botId}`, { message: Buffer.from(reply).toString('base64') })).code).toBe(201);
    const [received] = await bots.inboxOf('greeter');
    expect(received).toMatchObject({ sender: user.sessionId, text: 'two', displayName: 'Alice', senderSessionId: sessionIdFromEd25519Pub(ed25519PublicKey(seed)) });
  });

  test('a DM that is not a blinded message to the bot is dropped, not an error', async () => {
    const user = ctx.newUser();
    await user.get('/inbox');
    const botId = bots.identity('greeter').sessionId;
    const before = (await bots.inboxOf('greeter')).length;
    expect((await user.post(`/inbox/${botId}`, { message: Buffer.from('not encrypted at all, just bytes').toString('base64') })).code).toBe(201);
    expect(await bots.inboxOf('greeter')).toHaveLength(before);
  });
});
