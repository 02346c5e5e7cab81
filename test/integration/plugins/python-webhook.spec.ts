import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BotsService } from '../../../src/bots/bots.service';
import { PluginHooks } from '../../../src/plugins/plugin-hooks.service';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { communityPost } from '../../support/session-messages';

// docs/plugins.md's Python example (examples/plugins/nolinks_webhook.py), run as written: a bot in
// another language against the webhook interface, verifying our signatures and signing its answers.

const SCRIPT = join(__dirname, '../../../examples/plugins/nolinks_webhook.py');
const SECRET = 'python-example-secret-0123456789';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the Python webhook example', () => {
  let ctx: TestContext;
  let bot: ChildProcess;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    bot = spawn('python3', [SCRIPT, String(port), SECRET], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      bot.stdout!.once('data', () => resolve());
      bot.once('exit', (code) => reject(new Error(`python3 exited with ${code}`)));
    });
    ctx = await createTestContext({ config: { PLUGIN_DEADLINE: 2, PLUGIN_RELOAD_INTERVAL: 0 } });
    await createRoom(ctx, 'lobby');
    ctx.server.app.get(BotsService).add('greeter', 'Greeter');
    mkdirSync(ctx.config.PLUGINS_DIR, { recursive: true });
    const config = { enabled: true, webhook: url, secret: SECRET, bot: 'greeter', permissions: ['dm'], events: ['before-post', 'first-request-in-room'] };
    writeFileSync(join(ctx.config.PLUGINS_DIR, 'nolinks.json'), JSON.stringify(config), { mode: 0o600 });
    ctx.server.app.get(PluginHooks).reload();
  });
  afterAll(async () => {
    bot?.kill();
    await ctx?.close();
  });

  test('refuses links, allows the rest, greets a first request with a DM from the bot', async () => {
    const alice = ctx.newUser();
    expect((await alice.get('/room/lobby/messages/recent')).code).toBe(200);
    const link = await alice.post('/room/lobby/message', communityPost('content', 'see https://spam.example'));
    expect(link.code).toBe(403);
    expect(link.text()).toBe('Links are not allowed here');
    expect((await alice.post('/room/lobby/message', communityPost('content', 'no links here'))).code).toBe(201);
    const botId = ctx.server.app.get(BotsService).identity('greeter').sessionId;
    await eventually(async () => (await alice.get('/inbox')).json<Array<{ sender: string }>>().some((m) => m.sender === botId), 20_000, 'the greeting');
  });

  test('refuses a request that is not signed with its secret', async () => {
    const res = await fetch(url, {
      method: 'POST',
      body: '{"type":"before-post"}',
      headers: { 'x-scs-timestamp': String(Math.floor(Date.now() / 1000)), 'x-scs-signature': 'v1=00' },
    });
    expect(res.status).toBe(401);
  });
});
