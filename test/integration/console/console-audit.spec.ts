import { AuditService } from '../../../src/audit/audit.service';
import { parseCsv } from '../../support/csv';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';
import { cliOk } from '../cli/cli-helpers';
import { consoleEnv, csrfOf, post, signIn } from './console-helpers';

// Issue 17, Audit log view: the entries of AuditService.list filtered by room, actor, target,
// action and time, and the same selection as CSV that a strict reader parses back.

describe('console audit log', () => {
  let ctx: TestContext;
  let cookie: string;
  const target = `05${'ab'.repeat(32)}`;
  const rows = async (query: string) => {
    const res = await fetch(`${ctx.adminUrl}/console/audit.csv${query}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    return parseCsv(await res.text());
  };
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 16);

  beforeAll(async () => {
    ctx = await createTestContext();
    await createRoom(ctx, 'lobby', { name: 'Lobby' });
    ({ cookie } = await signIn(ctx));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test("changes made in the console are listed as the console's; filters narrow the list and the CSV alike", async () => {
    const audit = ctx.server.app.get(AuditService);
    // An entry two days back, with a reason that needs quoting and a formula-looking target.
    await audit.record({ actor: 'rule:words', action: 'message.delete', room: { id: null, token: 'gone' }, target: '=1+1', reason: 'said "this", then\nthat' });
    const old = Math.floor(ctx.clock.seconds()) - 2 * 86400;
    await ctx.prisma.auditLog.updateMany({ where: { actor: 'rule:words' }, data: { at: old } });
    const csrf = await csrfOf(ctx, cookie);
    expect((await post(ctx, '/console/people/ban', { _csrf: csrf, session_id: target.toUpperCase(), scope: 'lobby', duration: '' }, { cookie })).status).toBe(303);
    expect((await post(ctx, '/console/rooms', { _csrf: csrf, token: 'garden', name: 'Garden' }, { cookie })).status).toBe(303);
    await cliOk(consoleEnv(ctx), 'bans', 'add', target, '--room', 'garden');

    const all = await rows('');
    expect(all[0]).toEqual(['id', 'at', 'actor', 'action', 'room', 'target', 'reason', 'details']);
    const body = all.slice(1).map((r) => [r[2], r[3], r[4], r[5]]);
    expect(body).toEqual([
      ['cli', 'ban', 'garden', target],
      ['console', 'room.update', 'garden', ''],
      ['console', 'room.create', 'garden', ''],
      ['console', 'ban', 'lobby', target],
      ['rule:words', 'message.delete', 'gone', "'=1+1"],
    ]);
    expect(all[5][6]).toBe('said "this", then\nthat');

    expect((await rows('?room=LOBBY')).slice(1).map((r) => r[3])).toEqual(['ban']);
    expect((await rows('?actor=console')).slice(1).map((r) => r[3])).toEqual(['room.update', 'room.create', 'ban']);
    // A Session id matches in any case, as the CLI's --target does.
    expect((await rows(`?target=${target.toUpperCase()}`)).slice(1).map((r) => [r[2], r[4]])).toEqual([
      ['cli', 'garden'],
      ['console', 'lobby'],
    ]);
    expect((await rows('?action=ban&room=garden')).slice(1).map((r) => r[2])).toEqual(['cli']);
    // Time: "to" includes its whole minute; "from" starts at its minute.
    expect((await rows(`?to=${iso(old)}`)).slice(1).map((r) => r[2])).toEqual(['rule:words']);
    expect((await rows(`?from=${iso(old + 60)}`)).length).toBe(5);
    expect((await rows(`?from=${iso(old)}&to=${iso(old)}&actor=rule:words`)).length).toBe(2);

    const csv = await fetch(`${ctx.adminUrl}/console/audit.csv?actor=console`, { headers: { cookie } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-\d{8}-\d{6}\.csv"$/);
  });

  test('the page lists the entries, keeps the filter in the form and links the same selection as CSV', async () => {
    const res = await fetch(`${ctx.adminUrl}/console/audit?action=ban&room=lobby`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<h2 id="entries-h">1 entry, newest first</h2>');
    expect(page).toContain('href="/console/audit.csv?room=lobby&amp;action=ban"');
    expect(page).toContain('<option value="ban" selected>ban</option>');
    expect(page).toContain(`<a class="mono" href="/console/people?id=${target}">${target}</a>`);
  });

  test('a filter that is not one is a 400 with the reason, on the page and for the CSV', async () => {
    for (const query of ['?action=nuke', '?room=no%20such', '?from=yesterday', '?to=2026-02-31T10:00']) {
      const page = await fetch(`${ctx.adminUrl}/console/audit${query}`, { headers: { cookie } });
      expect([query, page.status]).toEqual([query, 400]);
      expect(await page.text()).toMatch(/class="error" role="alert">(action|room|from|to): /);
      const csv = await fetch(`${ctx.adminUrl}/console/audit.csv${query}`, { headers: { cookie } });
      expect([query, csv.status]).toEqual([query, 400]);
    }
  });
});
