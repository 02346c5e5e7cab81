import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { RoomsService } from '../../../src/rooms/rooms.service';
import { qrPng } from '../../../src/web/qr';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, messageBody } from '../../support/rooms-fixtures';
import { ARTIFACTS, describeBrowser, openBrowser } from './browser';
import { loginLink } from './console-helpers';

// Issue 17 "Must show": the console in headless Debian chromium (playwright-core, no browser
// download): sign in with a link from the CLI, a used link refused, rooms created and given an
// image, ban and unban from People, a ban lifted from the list, a change without the CSRF token
// refused, the page at phone width and by keyboard; screenshots in test-artifacts/ (and the
// README's in docs/).

const DOCS = resolve(__dirname, '../../../docs');

describeBrowser('admin console in headless Chromium', () => {
  let ctx: TestContext;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    ctx = await createTestContext({ config: { BASE_URL: 'https://communities.example.org' } });
    await createRoom(ctx, 'lobby', { name: 'The Lobby', description: 'Say hello' });
    ({ browser, page, problems } = await openBrowser());
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  test('a link from the CLI signs in once; the same link again is refused', async () => {
    const link = await loginLink(ctx);
    await page.goto(link);
    await page.waitForURL(`${ctx.adminUrl}/console/`);
    expect(await page.locator('h1').textContent()).toBe('Overview');
    expect(await page.locator('#health-h + dl').textContent()).toMatch(/postgres\s*ok/);

    const other = await browser.newContext();
    const second = await other.newPage();
    const refused = await second.goto(link);
    expect(refused!.status()).toBe(403);
    expect(await second.locator('main').textContent()).toContain('not valid');
    expect((await second.goto(`${ctx.adminUrl}/console/rooms`))!.status()).toBe(401);
    await other.close();
  }, 60_000);

  test('create a room and set its image; a clients sees both, a non-image is refused', async () => {
    await page.goto(`${ctx.adminUrl}/console/rooms`);
    await page.fill('#new-token', 'garden');
    await page.fill('#new-name', 'Community garden');
    await page.fill('#new-description', 'Seeds & <tips>');
    await page.click('text=Create room');
    await page.waitForURL(/\/console\/rooms\/garden\?notice=created$/);
    expect(await page.locator('.notice').textContent()).toBe('Room created.');

    const png = qrPng('garden', 96);
    await page.setInputFiles('#room-image', { name: 'garden.png', mimeType: 'image/png', buffer: png });
    await page.click('text=Upload image');
    await page.waitForURL(/notice=image$/);
    expect(await page.locator('img.room-image').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(96);

    const room = await ctx.anon().get('/room/garden');
    expectStatus(room, 200);
    const json = room.json<{ name: string; description: string; image_id: number }>();
    expect([json.name, json.description]).toEqual(['Community garden', 'Seeds & <tips>']);
    const image = await ctx.anon().get(`/room/garden/file/${json.image_id}`);
    expect(image.body.equals(png)).toBe(true);

    await page.setInputFiles('#room-image', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    const [refused] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/console/rooms/garden/image')), page.click('text=Upload image')]);
    expect(refused.status()).toBe(415);
    expect(await page.locator('.error').textContent()).toContain('must be a PNG, JPEG, GIF or WebP');
    expect((await ctx.anon().get('/room/garden')).json<{ image_id: number }>().image_id).toBe(json.image_id);
    await page.screenshot({ path: join(ARTIFACTS, 'console-room.png'), fullPage: true });
  }, 60_000);

  test('ban and unban from People; lift a ban from the list', async () => {
    const user = ctx.newUser();
    expectStatus(await user.post('/room/lobby/message', messageBody('hello from a member')), 201);
    const id = user.sessionId!;

    await page.goto(`${ctx.adminUrl}/console/people`);
    await page.fill('#q', id);
    await page.press('#q', 'Enter');
    await page.waitForURL(/\/console\/people\?id=/);
    const person = page.locator('section.person');
    expect(await person.locator('h2').textContent()).toBe(id);
    expect(await person.locator('tbody tr').first().textContent()).toMatch(/lobby\s*1/);

    await page.selectOption('#ban-scope', 'lobby');
    await page.click('button:has-text("Ban")');
    await page.waitForURL(/notice=banned$/);
    expect(await person.locator('tbody tr').first().textContent()).toContain('banned');
    expectStatus(await user.post('/room/lobby/message', messageBody('still here?')), 403);

    await page.selectOption('#unban-scope', 'lobby');
    await page.click('button:has-text("Unban")');
    await page.waitForURL(/notice=unbanned$/);
    expect(await person.locator('tbody tr').first().textContent()).not.toContain('banned');
    expectStatus(await user.post('/room/lobby/message', messageBody('back again')), 201);

    // A timed global ban, lifted from the list of all bans.
    await page.selectOption('#ban-scope', 'global');
    await page.fill('#ban-duration', '2h');
    await page.click('button:has-text("Ban")');
    await page.waitForURL(/notice=banned$/);
    expectStatus(await user.post('/room/lobby/message', messageBody('anyone?')), 403);
    await page.click('nav >> text=Bans');
    const row = page.locator('tbody tr', { hasText: id });
    expect(await row.textContent()).toMatch(/global\s*\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    await page.screenshot({ path: join(ARTIFACTS, 'console-bans.png'), fullPage: true });
    await row.locator('button:has-text("Lift")').click();
    await page.waitForURL(/notice=lifted$/);
    expect(await page.locator('main').textContent()).toContain('Nobody is banned.');
    expectStatus(await user.post('/room/lobby/message', messageBody('thanks')), 201);
  }, 60_000);

  test('a change without the CSRF token is refused, even with the session cookie', async () => {
    // The browser sends the session cookie (same site) but not the form's synchronizer token.
    const res = await page.request.post(`${ctx.adminUrl}/console/rooms`, { form: { token: 'forged', name: 'Forged' }, headers: { origin: ctx.adminUrl }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('CSRF');
    expect(await ctx.prisma.room.count({ where: { token: 'forged' } })).toBe(0);
  }, 60_000);

  test('the overview draws the posts chart and join QR codes; the page reads at phone width and by keyboard', async () => {
    await ctx.server.app.get(RoomsService).countPosts();
    await page.goto(`${ctx.adminUrl}/console/`);
    expect(await page.locator('#chart-title').textContent()).toMatch(/Posts per hour over the last 7 days: 3 in all/);
    expect(await page.locator('.join-link').count()).toBe(2);
    expect(await page.locator('.join-link code').first().textContent()).toBe(`https://communities.example.org/garden?public_key=${ctx.serverPubkeyHex}`);
    // The README's screenshot: the top of the overview, small. A test run must not change tracked
    // files, so docs/console.png is rewritten only on request (UPDATE_SCREENSHOTS=1).
    const readmeShot = await page.screenshot({ clip: { x: 0, y: 0, width: 1100, height: 720 } });
    writeFileSync(process.env.UPDATE_SCREENSHOTS === '1' ? join(DOCS, 'console.png') : join(ARTIFACTS, 'console.png'), readmeShot);
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview.png'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of [
      '/console/',
      '/console/rooms',
      '/console/rooms/garden',
      '/console/people',
      '/console/bans',
      '/console/files',
      '/console/audit',
      '/console/queue',
      `/console/people?id=05${'ab'.repeat(32)}`,
    ]) {
      await page.goto(`${ctx.adminUrl}${path}`);
      expect([path, await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')]).toEqual([path, true]);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'console-phone.png'), fullPage: true });

    // Keyboard alone: the skip link comes first, then the navigation; Enter follows a link.
    await page.goto(`${ctx.adminUrl}/console/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Rooms');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${ctx.adminUrl}/console/rooms`);
    // Nothing blocked by the CSP, no script error, no missing asset: only the refused upload's answer.
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 415 (Unsupported Media Type)']);
  }, 60_000);
});
