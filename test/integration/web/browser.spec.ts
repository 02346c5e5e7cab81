import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import jsQR from 'jsqr';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';

// Issue 5 "Done when": headless Chromium (Debian's package, no browser download) against the running
// server: the index lists rooms, the room page's QR code decodes to exactly the join URL shown.

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`SKIPPED: browser test needs Debian's chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}
const describeBrowser = haveChromium ? describe : describe.skip;

describeBrowser('web page in headless Chromium', () => {
  let ctx: TestContext;
  let browser: Browser;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { BASE_URL: 'https://communities.example.org' } });
    await createRoom(ctx, 'lobby', { name: 'The Lobby', description: 'Say hello' });
    await createRoom(ctx, 'dev-talk', { name: 'Dev <talk>' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  test('the index lists the rooms; the room page QR decodes to exactly the join URL it shows', async () => {
    // A phone-sized viewport: the page must read well there.
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') cspErrors.push(m.text());
    });

    await page.goto(`${ctx.url}/`);
    const names = await page.locator('.room a').allTextContents();
    expect(names).toEqual(['Dev <talk>', 'The Lobby']);
    await page.screenshot({ path: join(ARTIFACTS, 'web-index.png'), fullPage: true });

    await page.click('text=The Lobby');
    await page.waitForURL(/\/r\/lobby$/);
    const shown = (await page.locator('#join-url').textContent())!.trim();
    expect(shown).toBe(`https://communities.example.org/lobby?public_key=${ctx.serverPubkeyHex}`);

    // Progressive enhancement: the script (allowed by the CSP as same-origin) revealed the copy button.
    expect(await page.locator('#copy').isVisible()).toBe(true);

    const qr = page.locator('#qr svg');
    await qr.scrollIntoViewIfNeeded();
    const shot = await qr.screenshot({ path: join(ARTIFACTS, 'web-room-qr.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'web-room.png'), fullPage: true });
    const image = PNG.sync.read(shot);
    const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(shown);

    // No horizontal scrolling on a phone, and nothing the CSP had to block.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(cspErrors).toEqual([]);
    await page.close();
  }, 60_000);

  test('without JavaScript the join URL and QR code are still there', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${ctx.url}/r/lobby`);
    expect((await page.locator('#join-url').textContent())!.trim()).toContain('/lobby?public_key=');
    expect(await page.locator('#qr svg').isVisible()).toBe(true);
    expect(await page.locator('#copy').isVisible()).toBe(false);
    await context.close();
  }, 60_000);
});
