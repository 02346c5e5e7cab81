import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, sessionMessage } from '../../support/rooms-fixtures';

// Issue 5 / protocol §6.10: the public web page, fetched directly (not through the onion gateway).

const CSP = /default-src 'none'.*script-src 'self'/;

function decodeQr(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null;
}

describe('web page', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { BASE_URL: 'https://chat.example.net' } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test('with no rooms the index shows how to create one', async () => {
    const res = await fetch(`${ctx.url}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('community-server rooms add');
  });

  test('the index lists accessible rooms, HTML-escaped, with a strict CSP; hidden rooms stay hidden', async () => {
    await createRoom(ctx, 'lobby', { name: '<script>alert(1)</script> Lobby', description: 'Say "hi" & <b>wave</b>' });
    await createRoom(ctx, 'staff', { name: 'Staff', read: false, accessible: false });
    const res = await fetch(`${ctx.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Lobby');
    expect(html).toContain('Say &quot;hi&quot; &amp; &lt;b&gt;wave&lt;/b&gt;');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<b>wave');
    expect(html).toContain('href="/r/lobby"');
    expect(html).not.toContain('Staff');
    expect(html).toMatch(/0 active users/);
  });

  test('the room page shows the join URL as text, a QR code and a copy button for scripts to reveal', async () => {
    const joinUrl = `https://chat.example.net/lobby?public_key=${ctx.serverPubkeyHex}`;
    const res = await fetch(`${ctx.url}/r/lobby`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(CSP);
    const html = await res.text();
    expect(html).toContain(`<pre class="join-url" id="join-url">${joinUrl.replace(/&/g, '&amp;')}</pre>`);
    expect(html).toContain('<svg');
    expect(html).toContain('<button type="button" id="copy" hidden>');
    expect(html).toContain('<script src="/static/copy.js" defer></script>');
    expect(html).not.toMatch(/<script>(?!alert)/); // no inline script
    expect(html).not.toContain('Recent messages'); // WEB_SHOW_RECENT is off by default
    // The reference's /r/lobby/ form redirects to the page; unknown and inaccessible rooms are 404
    const redirect = await fetch(`${ctx.url}/r/lobby/`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/r/lobby');
    expect((await fetch(`${ctx.url}/r/nope`)).status).toBe(404);
    expect((await fetch(`${ctx.url}/r/staff`)).status).toBe(404);
  });

  test('invite.png is a 512×512 PNG whose QR code decodes to exactly the join URL', async () => {
    const res = await fetch(`${ctx.url}/r/LOBBY/invite.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await res.arrayBuffer());
    const { width, height } = PNG.sync.read(png);
    expect([width, height]).toEqual([512, 512]);
    expect(decodeQr(png)).toBe(`https://chat.example.net/lobby?public_key=${ctx.serverPubkeyHex}`);
  });

  test('static assets are served with the same headers; inner API routes stay closed to direct requests', async () => {
    const css = await fetch(`${ctx.url}/static/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const js = await fetch(`${ctx.url}/static/copy.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${ctx.url}/room/lobby`)).status).toBe(403);
  });

  test('a description keeps its line breaks on the page (escaped, as <br>)', async () => {
    await createRoom(ctx, 'lines', { name: 'Lines', description: 'First line\nSecond <line>\n\nAfter a blank' });
    const expected = '<p>First line<br>Second &lt;line&gt;<br><br>After a blank</p>';
    expect(await (await fetch(`${ctx.url}/r/lines`)).text()).toContain(expected);
    expect(await (await fetch(`${ctx.url}/`)).text()).toContain(expected);
  });

  test('a join URL opened in a browser goes to the room page; clients and other paths still get the direct-request refusal', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    const joinPath = `/lobby?public_key=${ctx.serverPubkeyHex}`;
    const res = await fetch(`${ctx.url}${joinPath}`, { headers: browser, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/r/lobby');
    const followed = await fetch(`${ctx.url}${joinPath}`, { headers: browser });
    expect(followed.status).toBe(200);
    expect(await followed.text()).toContain('Join in Session');

    const refused = 'Direct requests are not accepted: send this request through the onion gateway (POST /oxen/v4/lsrpc)';
    for (const [path, headers] of [
      [joinPath, {}], // no Accept: text/html (a program, not a browser)
      [joinPath, { accept: '*/*' }],
      ['/capabilities', browser], // an inner route in a browser: not a join URL
      ['/room/lobby?public_key=x', browser],
    ] as const) {
      const r = await fetch(`${ctx.url}${path}`, { headers, redirect: 'manual' });
      expect({ path, headers, status: r.status, body: await r.text() }).toEqual({ path, headers, status: 403, body: refused });
    }
    const post = await fetch(`${ctx.url}${joinPath}`, { method: 'POST', headers: browser, redirect: 'manual' });
    expect(post.status).toBe(403);
  });

  test('an unknown room is a 404 page, not plain text', async () => {
    const res = await fetch(`${ctx.url}/r/nosuch`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(CSP);
    const page = await res.text();
    expect(page).toContain('<h1>No such room</h1>');
    expect(page).toContain('href="/static/style.css"');
    const viaJoinUrl = await fetch(`${ctx.url}/nosuch?public_key=${ctx.serverPubkeyHex}`, { headers: { accept: 'text/html' } });
    expect(viaJoinUrl.status).toBe(404);
    expect(await viaJoinUrl.text()).toContain('<h1>No such room</h1>');
  });

  test('the room image is served to visitors when the room has one', async () => {
    expect((await fetch(`${ctx.url}/r/lobby/image`)).status).toBe(404);
    const user = ctx.newUser();
    const pngBytes = PNG.sync.write(Object.assign(new PNG({ width: 4, height: 4 }), { data: Buffer.alloc(64, 0x7f) }));
    const up = await user.request({ method: 'POST', path: '/room/lobby/file', body: pngBytes, headers: { 'Content-Disposition': 'attachment; filename="i.png"' } });
    expectStatus(up, 201);
    const room = await ctx.prisma.room.findFirstOrThrow({ where: { token: 'lobby' } });
    await ctx.prisma.room.update({ where: { id: room.id }, data: { imageId: up.json<{ id: number }>().id } });
    const res = await fetch(`${ctx.url}/r/lobby/image`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(pngBytes)).toBe(true);
    expect(await (await fetch(`${ctx.url}/`)).text()).toContain('src="/r/lobby/image"');
  });
});

describe('web page options', () => {
  test('WEB_SHOW_INDEX off: the index is 403, room pages still work', async () => {
    const ctx = await createTestContext({ config: { WEB_SHOW_INDEX: false } });
    try {
      await createRoom(ctx, 'lobby');
      expect((await fetch(`${ctx.url}/`)).status).toBe(403);
      const page = await fetch(`${ctx.url}/r/lobby`);
      expect(page.status).toBe(200);
      expect(await page.text()).not.toContain('All rooms');
    } finally {
      await ctx.close();
    }
  });

  test('WEB_SHOW_RECENT on: recent message texts are shown, escaped, without sender ids or names', async () => {
    const ctx = await createTestContext({ config: { WEB_SHOW_RECENT: true } });
    try {
      await createRoom(ctx, 'lobby');
      await createRoom(ctx, 'private', { read: false });
      const user = ctx.newUser();
      expectStatus(await user.post('/room/lobby/message', sessionMessage('Hello <world> & friends', 'Alice Example')), 201);
      const html = await (await fetch(`${ctx.url}/r/lobby`)).text();
      expect(html).toContain('Recent messages');
      expect(html).toContain('Hello &lt;world&gt; &amp; friends');
      expect(html).not.toContain(user.sessionId!);
      expect(html).not.toContain('Alice Example');
      const priv = await fetch(`${ctx.url}/r/private`);
      expect(priv.status).toBe(200);
      expect(await priv.text()).not.toContain('Recent messages');
    } finally {
      await ctx.close();
    }
  });
});
