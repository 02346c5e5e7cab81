import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, messageBody, sessionMessage } from '../../support/rooms-fixtures';
import { csrfOf, post, signIn } from './console-helpers';

// Issue 17, Rooms view: room policy settings (held posts, report threshold, new users, content
// rules, slow mode, quotas, lockdown) through the services `rooms update`, `rooms policy` and
// `rooms lockdown|unlock` use; empty fields go back to the server default; every change audited.

describe('console room policy', () => {
  let ctx: TestContext;
  let cookie: string;
  let csrf: string;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0 } });
    await createRoom(ctx, 'rules');
    ({ cookie } = await signIn(ctx));
    csrf = await csrfOf(ctx, cookie);
  });
  afterAll(async () => {
    await ctx?.close();
  });
  const change = (path: string, fields: Record<string, string>) => post(ctx, `/console/rooms/rules${path}`, { _csrf: csrf, ...fields }, { cookie });
  const room = () => ctx.prisma.room.findFirstOrThrow({ where: { token: 'rules' } });
  const policyForm = (fields: Record<string, string>) => ({
    max_chars_action: 'refuse',
    mentions_action: 'refuse',
    words_action: 'refuse',
    patterns_action: 'refuse',
    ...fields,
  });

  test('moderation settings: held posts and the report threshold are set, empty fields go back to the server default', async () => {
    const saved = await change('/moderation', { held_mode: 'all', report_threshold: '2', new_user_posts: '', new_user_age: '2h' });
    expect([saved.status, saved.headers.get('location')]).toEqual([303, '/console/rooms/rules?notice=moderation-saved']);
    expect(await room()).toMatchObject({ heldMode: 'all', reportThreshold: 2, newUserPosts: null, newUserAge: 7200 });
    const page = await (await fetch(`${ctx.adminUrl}/console/rooms/rules`, { headers: { cookie } })).text();
    expect(page).toContain('<option value="all" selected>all</option>');
    expect(page).toContain('id="new_user_age" name="new_user_age" value="7200s"');

    expect((await change('/moderation', { held_mode: '' })).status).toBe(303);
    expect(await room()).toMatchObject({ heldMode: null, reportThreshold: null, newUserAge: null });
    const bad = await change('/moderation', { report_threshold: '0' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('reportThreshold');
  });

  test('content rules and slow mode apply to the next post; a catastrophic pattern is refused with the reason', async () => {
    const saved = await change('/policy', policyForm({ max_chars: '20', slow_posts: '1', slow_seconds: '3600', patterns: 'buy\\s+now' }));
    expect(saved.headers.get('location')).toBe('/console/rooms/rules?notice=policy-saved');
    const user = ctx.newUser();
    const long = await user.post('/room/rules/message', sessionMessage('x'.repeat(400)));
    expect(long.code).toBe(403);
    expectStatus(await user.post('/room/rules/message', sessionMessage('short')), 201);
    expect((await user.post('/room/rules/message', sessionMessage('again'))).code).toBe(429);
    expect((await room()).policy).toMatchObject({ slowMode: { posts: 1, seconds: 3600 }, patterns: { list: ['buy\\s+now'], action: 'refuse' } });

    const refused = await change('/policy', policyForm({ patterns: '(a+)+$' }));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Invalid room policy');
    // Everything empty: every rule back to the server default.
    expect((await change('/policy', policyForm({}))).status).toBe(303);
    expect((await room()).policy).toEqual({});
  });

  test('lockdown: only moderators and trusted users post until it ends; unlock ends it now', async () => {
    const user = ctx.newUser();
    expect((await change('/lockdown', { for: '1h', reason: 'raid' })).headers.get('location')).toBe('/console/rooms/rules?notice=locked-down');
    const refused = await user.post('/room/rules/message', messageBody('let me in'));
    expect(refused.code).toBe(403);
    const page = await (await fetch(`${ctx.adminUrl}/console/rooms/rules`, { headers: { cookie } })).text();
    expect(page).toMatch(/Locked down<\/strong> until .* UTC: raid/);
    expect((await change('/unlock', {})).headers.get('location')).toBe('/console/rooms/rules?notice=unlocked');
    expectStatus(await user.post('/room/rules/message', messageBody('thanks')), 201);
    expect((await change('/unlock', {})).headers.get('location')).toBe('/console/rooms/rules?notice=not-locked');
    expect((await change('/lockdown', { for: 'soon' })).status).toBe(400);

    // The rule hits of the refused posts are the rules' own entries.
    const entries = await ctx.prisma.auditLog.findMany({ where: { roomToken: 'rules', action: { not: 'rule.hit' } }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => e.actor)).toEqual(entries.map(() => 'console'));
    expect(entries.map((e) => e.action)).toEqual(['room.update', 'room.update', 'room.policy', 'room.policy', 'room.lockdown', 'room.unlock']);
  });
});
