import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// Headless Debian chromium driven by playwright-core (no browser download) for the console's
// browser tests; screenshots go to test-artifacts/.

const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED: console browser test needs Debian's chromium at ${CHROMIUM} (apt-get install -y chromium)`);
export const describeBrowser = haveChromium ? describe : describe.skip;

export interface ConsoleBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors: anything the CSP blocked, or a script error. */
  problems: string[];
}

export async function openBrowser(): Promise<ConsoleBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { browser, context, page, problems };
}
