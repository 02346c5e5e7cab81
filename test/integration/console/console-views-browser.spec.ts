import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { StandingService } from '../../../src/moderation/standing.service';
import { parseCsv } from '../../support/csv';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, messageBody, post, sessionMessage, type PostedMessage } from '../../support/rooms-fixtures';
import { cliOk } from '../cli/cli-helpers';
import { ARTIFACTS, describeBrowser, openBrowser } from './browser';
import { consoleEnv, loginLink } from './console-helpers';

// Issue 17, the views added after the first console: the audit log (filter, CSV download), the
// attachment blocklist, and the moderation views, driven in headless Debian chromium;
// screenshots in test-artifacts/.

describeBrowser('console views in headless Chromium', () => {
  let ctx: TestContext;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    ctx = await createTestContext();
    await createRoom(ctx, 'lobby', { name: 'The Lobby' });
    ({ browser, page, problems } = await openBrowser());
    await page.goto(await loginLink(ctx));
    await page.waitForURL(`${ctx.adminUrl}/console/`);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  test('audit log: filter by actor and action, then download the selection as CSV', async () => {
    const user = ctx.newUser();
    expectStatus(await user.post('/room/lobby/message', messageBody('hi')), 201);
    await cliOk(consoleEnv(ctx), 'bans', 'add', user.sessionId!, '--room', 'lobby');
    await page.goto(`${ctx.adminUrl}/console/people?id=${user.sessionId}`);
    await page.selectOption('#unban-scope', 'lobby');
    await page.click('button:has-text("Unban")');
    await page.waitForURL(/notice=unbanned$/);

    await page.click('nav >> text=Audit log');
    await page.waitForURL(`${ctx.adminUrl}/console/audit`);
    // The ban from the CLI and the unban from the console (the fixture's room is made without the service).
    expect(await page.locator('table.audit tbody tr').count()).toBe(2);
    await page.fill('#audit-target', user.sessionId!.toUpperCase());
    await page.selectOption('#audit-action', 'unban');
    await page.press('#audit-target', 'Enter');
    await page.waitForURL(/\/console\/audit\?/);
    const rows = page.locator('table.audit tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toMatch(/UTC\s*console\s*unban\s*lobby/);
    // The form keeps what was asked.
    expect(await page.inputValue('#audit-action')).toBe('unban');
    await page.screenshot({ path: join(ARTIFACTS, 'console-audit.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-csv')]);
    expect(download.suggestedFilename()).toMatch(/^audit-\d{8}-\d{6}\.csv$/);
    const csv = parseCsv(await readFile(await download.path(), 'utf8'));
    expect(csv.map((r) => [r[2], r[3], r[4], r[5]])).toEqual([
      ['actor', 'action', 'room', 'target'],
      ['console', 'unban', 'lobby', user.sessionId!],
    ]);
  }, 60_000);

  test('blocklist: block a file chosen in the browser and a typed SHA-256, see uploads refused, unblock from the list', async () => {
    const content = randomBytes(2000);
    const digest = createHash('sha256').update(content).digest('hex');
    const other = 'ab'.repeat(32);
    await page.click('nav >> text=Files');
    await page.waitForURL(`${ctx.adminUrl}/console/files`);
    expect(await page.locator('#blocklist-h + p + p').textContent()).toBe('Nothing is blocked.');

    await page.setInputFiles('#block-file', { name: 'spam.jpg', mimeType: 'image/jpeg', buffer: content });
    await page.fill('#block-file-reason', 'spam wave');
    await page.click('button:has-text("Block this content")');
    await page.waitForURL(/notice=blocked$/);
    const refused = await ctx.newUser().request({ method: 'POST', path: '/room/lobby/file', body: content });
    expect([refused.code, refused.text()]).toEqual([403, expect.stringContaining('spam wave')]);

    await page.fill('#block-sha256', other.toUpperCase());
    // The page it returns to has the same address as the last one: wait for the new row instead.
    await page.keyboard.press('Enter');
    const rows = page.locator('table.blocklist tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.allTextContents()).toEqual([expect.stringMatching(new RegExp(`^${digest}.*spam wave`)), expect.stringMatching(new RegExp(`^${other}`))]);
    await page.screenshot({ path: join(ARTIFACTS, 'console-blocklist.png'), fullPage: true });

    await page.click(`button[aria-label="Unblock ${digest}"]`);
    await page.waitForURL(/notice=unblocked$/);
    expect(await rows.allTextContents()).toEqual([expect.stringMatching(new RegExp(`^${other}`))]);
    expect((await ctx.newUser().request({ method: 'POST', path: '/room/lobby/file', body: content })).code).toBe(201);
  }, 60_000);

  test('queue: approve a held post in one click; a protocol client receives it on its next poll', async () => {
    await createRoom(ctx, 'review', { name: 'Reviewed' });
    await ctx.prisma.room.update({ where: { token: 'review' }, data: { heldMode: 'all' } });
    const [author, member] = [ctx.newUser(), ctx.newUser()];
    const earlier = await post(author, 'review', sessionMessage('an earlier one'));
    const held = await post(author, 'review', sessionMessage('Hello, is this the garden club?'));
    const at = (await member.get('/room/review')).json<{ message_sequence: number }>().message_sequence;

    await page.click('nav >> text=Queue');
    await page.waitForURL(`${ctx.adminUrl}/console/queue`);
    const item = page.locator(`#message-${held.id}`);
    expect(await item.locator('.message').first().textContent()).toBe('Hello, is this the garden club?');
    await item.locator('summary').click();
    expect(await item.locator('ol.others').textContent()).toContain('an earlier one');
    await page.screenshot({ path: join(ARTIFACTS, 'console-queue.png'), fullPage: true });

    await item.locator('button:has-text("Approve")').click();
    await page.waitForURL(/notice=approved$/);
    expect(await page.locator(`#message-${held.id}`).count()).toBe(0);
    const polled = (await member.get(`/room/review/messages/since/${at}`)).json<PostedMessage[]>();
    expect(polled.map((m) => [m.id, m.data])).toEqual([[held.id, held.data]]);
    expect(polled.some((m) => m.id === earlier.id)).toBe(false);
  }, 60_000);

  test('people: trust and untrust in a room from People; the standing service sees it, the audit log names the console', async () => {
    const user = ctx.newUser();
    expectStatus(await user.post('/room/lobby/message', messageBody('new here')), 201);
    const standing = async () => {
      const room = await ctx.prisma.room.findFirstOrThrow({ where: { token: 'lobby' } });
      const u = await ctx.prisma.user.findFirstOrThrow({ where: { sessionId: user.sessionId! } });
      return (await ctx.server.app.get(StandingService).standing(room.id, u.id)).trusted;
    };
    await page.goto(`${ctx.adminUrl}/console/people?id=${user.sessionId}`);
    const lobby = page.locator('section.person tbody tr', { hasText: 'lobby' });
    expect(await lobby.textContent()).toContain('member');

    await page.selectOption('#trust-scope', 'lobby');
    await page.click('button[name=trusted][value=on]');
    await page.waitForURL(/notice=trusted$/);
    expect(await lobby.textContent()).toContain('trusted');
    expect(await standing()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'console-people-trust.png'), fullPage: true });

    await page.selectOption('#trust-scope', 'lobby');
    await page.click('button[name=trusted][value=off]');
    await page.waitForURL(/notice=untrusted$/);
    expect(await lobby.textContent()).not.toContain('trusted');
    expect(await standing()).toBe(false);
    const entries = await ctx.prisma.auditLog.findMany({ where: { target: user.sessionId!, action: { in: ['trust', 'untrust'] } }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.actor, e.action, e.roomToken])).toEqual([
      ['console', 'trust', 'lobby'],
      ['console', 'untrust', 'lobby'],
    ]);
  }, 60_000);

  test("people: mute in a room with a reason; the user's post is refused with it; unmute lets them post again", async () => {
    const user = ctx.newUser();
    expectStatus(await user.post('/room/lobby/message', messageBody('before')), 201);
    await page.goto(`${ctx.adminUrl}/console/people?id=${user.sessionId}`);
    await page.selectOption('#mute-scope', 'lobby');
    await page.fill('#mute-duration', '2h');
    await page.fill('#mute-reason', 'cool down');
    await page.click('form[action="/console/people/mute"] button');
    await page.waitForURL(/notice=muted$/);
    const lobby = page.locator('section.person tbody tr', { hasText: 'lobby' });
    expect(await lobby.textContent()).toMatch(/muted until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(cool down\)/);
    const refused = await user.post('/room/lobby/message', messageBody('let me talk'));
    expect([refused.code, refused.text()]).toEqual([403, expect.stringContaining('cool down')]);
    await page.screenshot({ path: join(ARTIFACTS, 'console-people-mute.png'), fullPage: true });

    await page.selectOption('#unmute-scope', 'lobby');
    await page.click('form[action="/console/people/unmute"] button');
    await page.waitForURL(/notice=unmuted$/);
    expect(await lobby.textContent()).not.toContain('muted');
    expectStatus(await user.post('/room/lobby/message', messageBody('after')), 201);
    const entries = await ctx.prisma.auditLog.findMany({ where: { target: user.sessionId!, action: { in: ['mute', 'unmute'] } }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.actor, e.action, e.roomToken, e.reason])).toEqual([
      ['console', 'mute', 'lobby', 'cool down'],
      ['console', 'unmute', 'lobby', null],
    ]);
  }, 60_000);

  // Last.
  test('nothing was blocked by the CSP, no script failed, no asset was missing', () => {
    expect(problems).toEqual([]);
  });
});
