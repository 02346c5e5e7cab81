import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { BotsService } from '../../../src/bots/bots.service';
import type { SogsClient } from '../../../src/client';
import { PluginHooks } from '../../../src/plugins/plugin-hooks.service';
import { createTestContext, type TestContext } from '../../support/context';
import { desktopDecodeContent, desktopDecryptBlinded, desktopPad, desktopTextContent, desktopUnpad, libsessionEncryptForBlinded } from '../../support/desktop-session';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { communityPost } from '../../support/session-messages';

// docs/writing-a-bot.md: its two examples, taken from the page as written, run as the bot they
// describe: the TypeScript one compiled and loaded as a worker plugin, the Python one (when
// python3 is installed) as a webhook on loopback.

const PAGE = readFileSync(join(__dirname, '../../../docs/writing-a-bot.md'), 'utf8');
const block = (lang: string) => {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(PAGE);
  if (!m) throw new Error(`no ${lang} block in docs/writing-a-bot.md`);
  return m[1];
};
const hasPython = spawnSync('python3', ['--version']).status === 0;

interface Msg {
  id: number;
  session_id: string;
  data: string;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('docs/writing-a-bot.md', () => {
  let ctx: TestContext;
  let botId: string;
  let alice: SogsClient;
  let python: ChildProcess | null = null;

  const configure = (config: Record<string, unknown>) => {
    mkdirSync(ctx.config.PLUGINS_DIR, { recursive: true });
    writeFileSync(
      join(ctx.config.PLUGINS_DIR, 'pingbot.json'),
      JSON.stringify({ enabled: true, bot: 'pingbot', permissions: ['post', 'dm'], events: ['before-post', 'before-bot-dm'], ...config }),
      {
        mode: 0o600,
      },
    );
    ctx.server.app.get(PluginHooks).reload();
  };

  /** What the page promises: `!ping` gets a pong from the bot in the room, a DM gets an answer a stock client reads. */
  const behavesAsDocumented = async () => {
    // Only a pong after this one counts (the other example's are in the room already).
    const after = Math.max(0, ...(await alice.get('/room/pings/messages/recent')).json<Msg[]>().map((m) => m.id));
    await eventually(
      async () => {
        expect((await alice.post('/room/pings/message', communityPost('content', '!ping'))).code).toBe(201);
        const msgs = (await alice.get('/room/pings/messages/recent')).json<Msg[]>();
        return msgs.some((m) => m.id > after && m.session_id === botId && desktopDecodeContent(desktopUnpad(Buffer.from(m.data, 'base64'))).body === 'pong');
      },
      20_000,
      'the pong',
    );
    const seen = new Set((await alice.get('/inbox')).json<Array<{ id: number }>>().map((m) => m.id));
    const dm = Buffer.from(libsessionEncryptForBlinded(alice.seed!, ctx.server.serverKey.publicKey, botId, desktopPad(desktopTextContent('hi bot', 'Alice')))).toString('base64');
    expect((await alice.post(`/inbox/${botId}`, { message: dm })).code).toBe(201);
    let reply: { sender: string; message: string } | undefined;
    await eventually(async () => {
      reply = (await alice.get('/inbox')).json<Array<{ id: number; sender: string; message: string }>>().find((m) => !seen.has(m.id));
      return reply !== undefined;
    });
    const { plainText } = desktopDecryptBlinded(Buffer.from(reply!.message, 'base64'), false, reply!.sender, ctx.server.serverKey.publicKey, alice.seed!);
    expect(desktopDecodeContent(desktopUnpad(plainText))).toMatchObject({ body: 'Hello Alice, you said: hi bot', displayName: 'Ping Bot' });
  };

  beforeAll(async () => {
    ctx = await createTestContext({ config: { PLUGIN_DEADLINE: 2, PLUGIN_RELOAD_INTERVAL: 0, RATE_LIMIT_POSTS: 0 } });
    await createRoom(ctx, 'pings');
    botId = ctx.server.app.get(BotsService).add('pingbot', 'Ping Bot').sessionId;
    alice = ctx.newUser();
  });
  afterAll(async () => {
    python?.kill();
    await ctx?.close();
  });

  test('the TypeScript example, compiled as the page says, runs as a worker plugin', async () => {
    const { outputText, diagnostics } = ts.transpileModule(block('ts'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      reportDiagnostics: true,
    });
    expect(diagnostics).toEqual([]);
    mkdirSync(ctx.config.PLUGINS_DIR, { recursive: true });
    writeFileSync(join(ctx.config.PLUGINS_DIR, 'pingbot.js'), outputText);
    configure({ module: 'pingbot.js' });
    await behavesAsDocumented();
  });

  (hasPython ? test : test.skip)('the Python example compiles and runs as the webhook, checking signatures both ways', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingbot-'));
    const file = join(dir, 'pingbot.py');
    writeFileSync(file, block('python'));
    const compiled = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
    expect(compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);

    const secret = 'a-test-secret-0123456789abcdef';
    const port = await freePort();
    python = spawn('python3', [file], { env: { ...process.env, SCS_SECRET: secret, PORT: String(port) }, stdio: 'ignore' });
    configure({ webhook: `http://127.0.0.1:${port}/`, secret });
    await behavesAsDocumented();

    // A request it cannot verify is refused (401), so nothing comes of it.
    const forged = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'X-SCS-Timestamp': String(Math.floor(Date.now() / 1000)), 'X-SCS-Signature': 'v1=00' },
      body: JSON.stringify({ type: 'before-post', text: '!ping', room: 'pings' }),
    });
    expect(forged.status).toBe(401);
  });
});
