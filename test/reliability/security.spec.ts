import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { SogsClient } from '../../src/client';
import { createLogger } from '../../src/logging/logger';
import { startServer, type RunningServer } from '../../src/server';
import { createTestContext, type TestContext } from '../support/context';
import { createRoom } from '../support/rooms-fixtures';
import { TcpProxy } from './dependencies';
import { eventually } from '../support/eventually';

// Issue 8 item 5, the parts a running server shows: key files owner-only, no secret or message body
// in any log line (also on error and outage paths), web page with a strict CSP and escaped room
// names, downloads as attachments. Strict Ed25519 (non-canonical, small-order and malleable keys and
// signatures) is covered by test/unit/crypto/primitives.spec.ts and the small_subgroup_pubkeys
// vectors in test/unit/crypto/vectors.spec.ts.
jest.setTimeout(60_000);

class Capture extends Writable {
  readonly lines: string[] = [];
  _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

const XSS = '<script>alert(1)</script>';
let ctx: TestContext;
let proxy: TcpProxy;
let server: RunningServer;
const logs = new Capture();

beforeAll(async () => {
  ctx = await createTestContext({ config: { ROLE: 'api' } });
  await createRoom(ctx, 'sec', { name: XSS, description: `${XSS} & "quotes" 'too'` });
  const pg = new URL(ctx.databaseUrl);
  proxy = new TcpProxy(pg.hostname, Number(pg.port || 5432));
  await proxy.start();
  const proxied = new URL(ctx.databaseUrl);
  proxied.host = `127.0.0.1:${proxy.port}`;
  // The same settings at the most verbose level, with every log line captured.
  server = await startServer(
    { ...ctx.config, DATABASE_URL: proxied.toString(), LOG_LEVEL: 'trace', RATE_LIMIT_POSTS: 0, AUTH_FAILURE_LIMIT: 5 },
    { logger: createLogger({ LOG_LEVEL: 'trace' }, logs) },
  );
});
afterAll(async () => {
  await server?.close();
  await ctx?.close();
  await proxy?.close();
});

it('server key and master key files are owner-only (0600)', () => {
  const modes = [ctx.config.KEY_FILE, ctx.config.MASTER_KEY_FILE].map((f) => statSync(f).mode & 0o777);
  process.stdout.write(`security: key file modes ${modes.map((m) => m.toString(8)).join(', ')}\n`);
  expect(modes).toEqual([0o600, 0o600]);
});

it('no nonce, signature, key or message body in any log line: successes, failures, bad signatures and a database outage', async () => {
  const alice = new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed: new Uint8Array(randomBytes(32)) });
  const secrets: string[] = [];
  const marker = randomBytes(24).toString('hex');
  const data = Buffer.concat([Buffer.from(`body ${marker}`), Buffer.from([0x80])]).toString('base64');
  const sent = async (method: 'GET' | 'POST' | 'PUT', path: string, json?: unknown, tamper = false) => {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers = alice.signHeaders(method, path, body);
    if (tamper) headers['X-SOGS-Signature'] = randomBytes(64).toString('base64');
    secrets.push(headers['X-SOGS-Nonce'], headers['X-SOGS-Signature'], Buffer.from(headers['X-SOGS-Nonce'], 'base64').toString('hex'));
    return alice.request({ method, path, json, headers });
  };
  const signature = randomBytes(64).toString('base64');
  secrets.push(data, signature, marker, Buffer.from(server.serverKey.privateKey).toString('hex'));

  expect((await sent('POST', '/room/sec/message', { data, signature })).code).toBe(201);
  expect((await sent('POST', '/room/sec/message', { data, signature, whisper_to: 'junk' })).code).toBe(400);
  expect((await sent('POST', '/room/sec/message', { data, signature }, true)).code).toBe(401);
  const dm = randomBytes(40);
  secrets.push(dm.toString('base64'));
  expect((await sent('POST', `/inbox/${alice.sessionId}`, { message: dm.toString('base64') })).code).toBe(201);
  proxy.cut();
  const during = await sent('POST', '/room/sec/message', { data, signature });
  proxy.restore();
  expect(during.code).toBe(503);
  await eventually(async () => (await sent('GET', '/room/sec/messages/recent')).code === 200, 20_000, 'database back');

  const text = logs.lines.join('\n');
  const leaked = secrets.filter((s) => s && text.includes(s));
  process.stdout.write(`security: ${logs.lines.length} log lines captured at trace level over ${secrets.length} secrets/bodies; leaked ${leaked.length}\n`);
  expect(logs.lines.length).toBeGreaterThan(5);
  expect(leaked).toEqual([]);
});

it(`web page: strict Content-Security-Policy, nosniff, and a room named ${XSS} is escaped`, async () => {
  const results: string[] = [];
  for (const path of ['/', '/r/sec']) {
    const res = await fetch(server.url + path);
    const body = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(res.status).toBe(200);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(body).not.toContain(XSS);
    expect(body).not.toMatch(/<script>(?!<\/script>)/);
    if (path === '/r/sec') expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    results.push(`${path} ${res.status} csp="${csp}"`);
  }
  process.stdout.write(`security: ${results.join('; ')}\n`);
});

it('room file downloads are attachments with a safe file name, never rendered inline', async () => {
  const bob = new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed: new Uint8Array(randomBytes(32)) });
  const up = await bob.request({
    method: 'POST',
    path: '/room/sec/file',
    body: Buffer.from('<html><script>alert(1)</script>'),
    headers: { 'Content-Disposition': 'attachment; filename="../../x.html"' },
  });
  expect(up.code).toBe(201);
  const res = await bob.get(`/room/sec/file/${up.json<{ id: number }>().id}`);
  expect(res.code).toBe(200);
  expect(res.headers['content-type']).toBe('application/octet-stream');
  expect(res.headers['content-disposition']).toMatch(/^attachment/);
  expect(res.headers['content-disposition']).not.toContain('/');
  process.stdout.write(`security: download headers content-type=${res.headers['content-type']} content-disposition=${res.headers['content-disposition']}\n`);
});
