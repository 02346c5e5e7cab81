import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditService } from '../../../src/audit/audit.service';
import { BotsService } from '../../../src/bots/bots.service';
import { ModerationService } from '../../../src/moderation/moderation.service';
import type { SogsClient } from '../../../src/client';
import { PluginHooks } from '../../../src/plugins/plugin-hooks.service';
import { signWebhook, verifyWebhookSignature } from '../../../src/plugins/webhook-signature';
import { createTestContext, type TestContext } from '../../support/context';
import { desktopDecodeContent, desktopDecryptBlinded, desktopUnpad } from '../../support/desktop-session';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { communityPost } from '../../support/session-messages';

// issue 16: a real webhook server on loopback. It checks the server's HMAC signature as a bot in
// any language would (docs/plugins.md), and signs its answers; the tests change how it answers.

const SECRET = 'webhook-test-secret-0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  event: { type: string; id: string; text?: string; author?: string; room?: string; message_id?: number };
  signatureOk: boolean;
}

/** How the webhook answers an event: status, JSON answer, how to sign it, how long to wait first. */
type Behaviour = (e: Received['event']) => { status?: number; answer?: unknown; sign?: 'ok' | 'wrong' | 'stale' | 'none'; delayMs?: number };

describe('webhook plugins', () => {
  let ctx: TestContext;
  let hooks: PluginHooks;
  let hook: Server;
  let url: string;
  const received: Received[] = [];
  let behave: Behaviour = () => ({ answer: { decision: 'allow' } });
  let alice: SogsClient;
  let bob: SogsClient;

  const configure = (config: Record<string, unknown> = {}) => {
    mkdirSync(ctx.config.PLUGINS_DIR, { recursive: true });
    writeFileSync(join(ctx.config.PLUGINS_DIR, 'hook.json'), JSON.stringify({ enabled: true, webhook: url, secret: SECRET, bot: 'hookbot', ...config }), { mode: 0o600 });
    hooks.reload();
  };
  const post = (client: SogsClient, text: string) => client.post('/room/lobby/message', communityPost('content', text));
  const metric = async (line: RegExp) => (await (await fetch(`${ctx.adminUrl}/metrics`)).text()).split('\n').find((l) => line.test(l));

  beforeAll(async () => {
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const now = Math.floor(Date.now() / 1000);
        const check = verifyWebhookSignature(SECRET, { timestamp: req.headers['x-scs-timestamp'] as string, signature: req.headers['x-scs-signature'] as string }, body, now, 300);
        const event = JSON.parse(body) as Received['event'];
        received.push({ headers: req.headers, body, event, signatureOk: check.ok });
        const { status = 200, answer = null, sign = 'ok', delayMs = 0 } = behave(event);
        const text = answer === null ? '' : JSON.stringify(answer);
        const at = sign === 'stale' ? now - 3600 : now;
        const headers = sign === 'none' ? {} : signWebhook(sign === 'wrong' ? 'not-the-secret-at-all' : SECRET, at, text);
        setTimeout(() => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text), delayMs);
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    ctx = await createTestContext({ config: { PLUGIN_DEADLINE: 1, PLUGIN_RELOAD_INTERVAL: 0, RATE_LIMIT_POSTS: 0 } });
    hooks = ctx.server.app.get(PluginHooks);
    await createRoom(ctx, 'lobby');
    ctx.server.app.get(BotsService).add('hookbot', 'Hook Bot');
    alice = ctx.newUser();
    bob = ctx.newUser();
    configure({ events: ['before-post'] });
  });
  afterAll(async () => {
    await ctx?.close();
    await new Promise((resolve) => hook.close(resolve));
  });
  beforeEach(() => {
    received.length = 0;
  });

  test('each event is POSTed signed (HMAC-SHA256 over the timestamp and body); the answer decides the post', async () => {
    behave = (e) => (e.text?.includes('spam') ? { answer: { decision: 'refuse', reason: 'The webhook refused this' } } : { answer: { decision: 'allow' } });
    const refused = await post(alice, 'cheap spam');
    expect(refused.code).toBe(403);
    expect(refused.text()).toBe('The webhook refused this');
    expect((await post(alice, 'hello')).code).toBe(201);
    expect(received).toHaveLength(2);
    const [first] = received;
    expect(first.signatureOk).toBe(true);
    expect(first.headers['x-scs-plugin']).toBe('hook');
    expect(first.event).toMatchObject({
      version: 1,
      type: 'before-post',
      room: 'lobby',
      author: alice.sessionId,
      text: 'cheap spam',
      moderator: false,
      files: [],
      standing: { moderator: false, trusted: false, new_user: true },
    });
    // The same request with another secret or a changed body does not verify.
    const headers = { timestamp: first.headers['x-scs-timestamp'] as string, signature: first.headers['x-scs-signature'] as string };
    const now = Number(headers.timestamp);
    expect(verifyWebhookSignature('another-secret-0123456789', headers, first.body, now, 300).ok).toBe(false);
    expect(verifyWebhookSignature(SECRET, headers, first.body.replace('spam', 'ham!'), now, 300).ok).toBe(false);
  });

  test.each([
    ['a wrong signature', 'wrong', 'signature'],
    ['a stale signature', 'stale', 'signature'],
    ['no signature', 'none', 'signature'],
  ] as const)('an answer with %s is not taken: the default decision', async (_, sign, outcome) => {
    behave = () => ({ answer: { decision: 'refuse', reason: 'forged' }, sign });
    expect((await post(alice, `forged answer (${sign})`)).code).toBe(201);
    expect(await metric(new RegExp(`^scs_plugin_calls_total\\{plugin="hook",event="before-post",outcome="${outcome}"\\} [1-9]`))).toBeDefined();
  });

  test('a webhook that is slow, fails, redirects or answers nonsense or too much gets its default decision: hold here', async () => {
    configure({ events: ['before-post'], default: 'hold' });
    const tooLarge = { decision: 'allow', padding: 'x'.repeat(ctx.config.PLUGIN_ANSWER_MAX_BYTES) };
    for (const b of [
      { delayMs: 3000, answer: { decision: 'allow' } },
      { status: 500 },
      { status: 307, answer: { decision: 'allow' } },
      { answer: { decision: 'perhaps' } },
      { answer: tooLarge },
    ]) {
      behave = () => b;
      const res = await post(alice, 'undecided');
      expect(res.code).toBe(201);
      const id = res.json<{ id: number }>().id;
      expect((await bob.get(`/room/lobby/message/${id}`)).code).toBe(404);
    }
    expect(await metric(/^scs_plugin_calls_total\{plugin="hook",event="before-post",outcome="timeout"\} [1-9]/)).toBeDefined();
    expect(await metric(/^scs_plugin_calls_total\{plugin="hook",event="before-post",outcome="invalid"\} [2-9]/)).toBeDefined();
    expect(await metric(/^scs_plugin_calls_total\{plugin="hook",event="before-post",outcome="error"\} [2-9]/)).toBeDefined();
    configure({ events: ['before-post'] });
  });

  test('notifications are queued, retried after a failure, and their actions run: a DM from the bot a stock client reads', async () => {
    let failures = 0;
    configure({ events: ['posted'], permissions: ['dm'] });
    behave = (e) => {
      if (e.type !== 'posted') return { answer: null };
      // The first delivery fails: the job retries with back-off and the same event id.
      if (failures++ === 0) return { status: 503 };
      return { answer: { actions: [{ action: 'dm', to: e.author, text: `Thanks for "${e.text}"` }] } };
    };
    const res = await post(alice, 'first post');
    expect(res.code).toBe(201);
    await eventually(async () => (await alice.get('/inbox')).json<unknown[]>().length === 1, 20_000, 'the bot DM');
    expect(received.map((r) => r.event.id)).toEqual([received[0].event.id, received[0].event.id]);
    expect(received[0].event).toMatchObject({ type: 'posted', room: 'lobby', author: alice.sessionId, message_id: res.json<{ id: number }>().id, held: false });
    const [dm] = (await alice.get('/inbox')).json<Array<{ sender: string; message: string }>>();
    const { plainText } = desktopDecryptBlinded(Buffer.from(dm.message, 'base64'), false, dm.sender, ctx.server.serverKey.publicKey, alice.seed!);
    expect(desktopDecodeContent(desktopUnpad(plainText))).toMatchObject({ body: 'Thanks for "first post"', displayName: 'Hook Bot' });
    expect((await ctx.server.app.get(AuditService).list({ actor: 'plugin:hook' })).map((e) => e.action)).toContain('plugin.dm');
  });

  test('every notification hook is told: first request, posted, edited, reacted, report, deleted, banned, unbanned', async () => {
    configure({ events: ['first-request-in-room', 'posted', 'edited', 'reacted', 'report', 'deleted', 'banned', 'unbanned'] });
    behave = () => ({ answer: null });
    const dave = ctx.newUser();
    expect((await dave.get('/room/lobby/messages/recent')).code).toBe(200);
    const m = (await post(dave, 'original')).json<{ id: number }>();
    expect((await dave.put(`/room/lobby/message/${m.id}`, communityPost('content', 'edited text'))).code).toBe(200);
    expect((await alice.put(`/room/lobby/reaction/${m.id}/👍`, {})).code).toBe(200);
    expect((await alice.put(`/room/lobby/reaction/${m.id}/🚩`, {})).code).toBe(200);
    expect((await dave.delete(`/room/lobby/message/${m.id}`)).code).toBe(200);
    const moderation = ctx.server.app.get(ModerationService);
    await moderation.ban(dave.sessionId!, { rooms: ['lobby'] }, 600);
    await moderation.unban(dave.sessionId!, { rooms: ['lobby'] });
    const of = (type: string) => received.find((r) => r.event.type === type)?.event;
    await eventually(() => received.length >= 8, 20_000, 'eight notifications');
    expect(of('first-request-in-room')).toMatchObject({ room: 'lobby', user: dave.sessionId });
    expect(of('posted')).toMatchObject({ author: dave.sessionId, message_id: m.id, text: 'original' });
    expect(of('edited')).toMatchObject({ author: dave.sessionId, message_id: m.id, text: 'edited text' });
    expect(of('reacted')).toMatchObject({ user: alice.sessionId, message_id: m.id, reaction: '👍' });
    expect(of('report')).toMatchObject({ reporter: alice.sessionId, message_id: m.id });
    expect(of('deleted')).toMatchObject({ message_id: m.id, author: dave.sessionId, by: dave.sessionId });
    expect(of('banned')).toMatchObject({ room: 'lobby', user: dave.sessionId, by: 'cli', timeout: 600, shadow: false });
    expect(of('unbanned')).toMatchObject({ room: 'lobby', user: dave.sessionId, by: 'cli' });
    expect(received.every((r) => r.signatureOk)).toBe(true);
  });

  test('an action the plugin was not granted is refused and counted; the post is not affected', async () => {
    configure({ events: ['posted'], permissions: ['dm'] });
    behave = (e) => (e.type === 'posted' ? { answer: { actions: [{ action: 'ban', user: e.author, global: true }] } } : { answer: null });
    expect((await post(bob, 'ban me if you can')).code).toBe(201);
    await eventually(async () => (await metric(/^scs_plugin_actions_total\{plugin="hook",action="ban",outcome="denied"\} 1/)) !== undefined);
    expect((await post(bob, 'still here')).code).toBe(201);
  });
});
