import { createHash } from 'node:crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';
import { cli } from '../cli/cli-helpers';
import { consoleEnv, csrfOf, loginLink, post, signIn } from './console-helpers';

// Issue 17 "Must show" (security): the console lives on the admin listener only, nothing works
// without a session from a one-time link, links work once and expire, cookies are HttpOnly and
// SameSite=Strict, every change needs the CSRF token and this Origin, every answer has the CSP.

const PAGES = [
  '/console/',
  '/console/rooms',
  '/console/rooms/lobby',
  '/console/rooms/lobby/image',
  '/console/queue',
  '/console/people',
  '/console/people?id=05' + '1'.repeat(64),
  '/console/bans',
  '/console/files',
  '/console/audit',
  '/console/audit.csv',
];
const CHANGES = [
  '/console/rooms',
  '/console/rooms/lobby',
  '/console/rooms/lobby/image',
  '/console/rooms/lobby/delete',
  '/console/rooms/lobby/moderation',
  '/console/rooms/lobby/policy',
  '/console/rooms/lobby/lockdown',
  '/console/rooms/lobby/unlock',
  '/console/rooms/lobby/moderators',
  '/console/rooms/lobby/moderators/remove',
  '/console/queue/decide',
  '/console/people/ban',
  '/console/people/unban',
  '/console/people/trust',
  '/console/people/mute',
  '/console/people/unmute',
  '/console/bans/lift',
  '/console/files/delete',
  '/console/files/block',
  '/console/files/blocklist',
  '/console/files/blocklist/upload',
  '/console/files/blocklist/remove',
  '/console/logout',
];

describe('admin console security', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    await createRoom(ctx, 'lobby', { name: 'Lobby' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test('the public port has no console: plain requests are refused, onion requests find nothing, a link sent there is not used up', async () => {
    const link = await loginLink(ctx);
    for (const path of [...PAGES, '/console/login?token=x', '/console/static/console.css', `${new URL(link).pathname}${new URL(link).search}`]) {
      const res = await fetch(`${ctx.url}${path}`, { redirect: 'manual' });
      // The public listener's answer to any path that is not the web page or the onion gateway.
      expect([path, res.status]).toEqual([path, 403]);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(await res.text()).not.toMatch(/console|Lobby/i);
      expect((await ctx.anon().get(path)).code).toBe(404);
    }
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(303);
  });

  test('no page and no change works without a session', async () => {
    for (const path of PAGES) {
      const res = await fetch(`${ctx.adminUrl}${path}`, { redirect: 'manual' });
      expect([path, res.status]).toEqual([path, 401]);
      expect(await res.text()).not.toContain('Lobby');
    }
    for (const path of CHANGES) expect([path, (await post(ctx, path, { token: 'x', _csrf: 'x' })).status]).toEqual([path, 401]);
    // A cookie that names no session is no session.
    expect((await fetch(`${ctx.adminUrl}/console/`, { headers: { cookie: `scs_console=${'a'.repeat(43)}` } })).status).toBe(401);
    expect(await ctx.prisma.room.count({ where: { token: 'x' } })).toBe(0);
  });

  test('a link signs in once: HttpOnly, SameSite=Strict cookie scoped to /console (not Secure: plain http on loopback)', async () => {
    const link = await loginLink(ctx);
    expect(link).toMatch(new RegExp(`^${ctx.adminUrl}/console/login\\?token=[A-Za-z0-9_-]{43}$`));
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/console/');
    const setCookie = first.headers.get('set-cookie')!;
    const attributes = setCookie.split(';').map((a) => a.trim());
    expect(attributes[0]).toMatch(/^scs_console=[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/console', `Max-Age=${ctx.config.CONSOLE_SESSION_TTL}`]));
    expect(attributes).not.toContain('Secure');
    const page = await fetch(`${ctx.adminUrl}/console/`, { headers: { cookie: attributes[0] } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Lobby');

    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('not valid');
    // Only hashes are stored: the session row is the SHA-256 of the cookie's token, the used link is gone.
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const stored = (await ctx.prisma.consoleSession.findMany()).map((row) => Buffer.from(row.tokenHash).toString('hex'));
    expect(stored).toContain(sha256(attributes[0].split('=')[1]));
    expect(await ctx.prisma.consoleLogin.count({ where: { tokenHash: createHash('sha256').update(new URL(link).searchParams.get('token')!).digest() } })).toBe(0);
  });

  test('an expired link is refused, and --ttl past CONSOLE_LOGIN_MAX_TTL is not made', async () => {
    const link = await loginLink(ctx, '--ttl', '2m');
    ctx.clock.advance(121_000);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(403);
    const tooLong = await cli(consoleEnv(ctx), 'console', 'login', '--ttl', '2h');
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('CONSOLE_LOGIN_MAX_TTL');
    expect(await ctx.prisma.consoleLogin.count({ where: { expires: { gt: Date.now() / 1000 + 3600 } } })).toBe(0);
  });

  test('every change refuses a signed-in post without the CSRF token, or from another Origin, before doing anything', async () => {
    const { cookie } = await signIn(ctx);
    const csrf = await csrfOf(ctx, cookie);
    const before = await ctx.prisma.auditLog.count();
    const fields = {
      session_id: `05${'1'.repeat(64)}`,
      scope: 'lobby',
      id: '1',
      sha256: 'a'.repeat(64),
      duration: '1h',
      for: '1h',
      kind: 'held',
      decision: 'approve',
      trusted: 'on',
    };
    for (const path of CHANGES) {
      const res = await post(ctx, path, fields, { cookie });
      expect([path, res.status, await res.text()]).toEqual([path, 403, expect.stringContaining('CSRF token')]);
      expect([path, (await post(ctx, path, { ...fields, _csrf: csrf }, { cookie, origin: 'http://evil.example' })).status]).toEqual([path, 403]);
    }
    expect(await ctx.prisma.auditLog.count()).toBe(before);
    expect((await fetch(`${ctx.adminUrl}/console/`, { headers: { cookie } })).status).toBe(200);
  });

  test('a change without the CSRF token, with another Origin or with none is refused; with both it is made', async () => {
    const { cookie } = await signIn(ctx);
    const csrf = await csrfOf(ctx, cookie);
    const create = { token: 'csrf-room', name: 'CSRF' };
    expect((await post(ctx, '/console/rooms', create, { cookie })).status).toBe(403);
    expect((await post(ctx, '/console/rooms', { ...create, _csrf: 'x'.repeat(43) }, { cookie })).status).toBe(403);
    expect((await post(ctx, '/console/rooms', { ...create, _csrf: csrf }, { cookie, origin: 'http://evil.example' })).status).toBe(403);
    const noOrigin = await fetch(`${ctx.adminUrl}/console/rooms`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...create, _csrf: csrf }).toString(),
    });
    expect(noOrigin.status).toBe(403);
    expect(await ctx.prisma.room.count({ where: { token: 'csrf-room' } })).toBe(0);

    const made = await post(ctx, '/console/rooms', { ...create, _csrf: csrf }, { cookie });
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toBe('/console/rooms/csrf-room?notice=created');
    expect(await ctx.prisma.room.count({ where: { token: 'csrf-room' } })).toBe(1);
    // Recorded in the audit log with the console as its actor; the refused attempts left nothing.
    const entries = await ctx.prisma.auditLog.findMany({ where: { roomToken: 'csrf-room' } });
    expect(entries.map((e) => e.actor)).toEqual(entries.map(() => 'console'));
    expect(entries.length).toBeGreaterThan(0);
  });

  test('every answer carries the strict CSP and no-store; nothing is inline', async () => {
    const { cookie } = await signIn(ctx);
    for (const path of [...PAGES, '/console/static/console.css', '/console/static/console.js', '/console/login?token=nope']) {
      const res = await fetch(`${ctx.adminUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
      const csp = res.headers.get('content-security-policy');
      expect([path, csp]).toEqual([
        path,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      ]);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await res.text();
      if (res.headers.get('content-type')?.startsWith('text/html')) {
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(body).not.toMatch(/<script(?![^>]*\bsrc=)/);
        expect(body).not.toMatch(/\sstyle=|<style|\son[a-z]+=/);
      }
    }
  });
  // Last: it moves the server's clock past the session TTL, past any link the CLI makes on its own clock.
  test('a session ends at sign-out, and after CONSOLE_SESSION_TTL', async () => {
    const first = await signIn(ctx);
    const csrf = await csrfOf(ctx, first.cookie);
    const out = await post(ctx, '/console/logout', { _csrf: csrf }, { cookie: first.cookie });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${ctx.adminUrl}/console/bans`, { headers: { cookie: first.cookie } })).status).toBe(401);

    const { cookie } = await signIn(ctx);
    ctx.clock.advance((ctx.config.CONSOLE_SESSION_TTL - 60) * 1000);
    expect((await fetch(`${ctx.adminUrl}/console/bans`, { headers: { cookie } })).status).toBe(200);
    ctx.clock.advance(61_000);
    expect((await fetch(`${ctx.adminUrl}/console/bans`, { headers: { cookie } })).status).toBe(401);
  });
});
