// AuditService and actorOf without a database: who an entry names, what retention drops, what is counted.
import { actingAs, actorOf } from '../../../src/audit/audit-actor';
import { AuditService } from '../../../src/audit/audit.service';
import type { AuditRepository } from '../../../src/audit/audit.repository';
import { MetricsService } from '../../../src/metrics/metrics.service';
import type { RedisService } from '../../../src/redis/redis.service';
import { SYSTEM_USER_ID } from '../../../src/users/system-user';
import { asFake, FakeAuditLog, fakeRedisOnce, FixedClock, unitConfig } from '../support/fakes';

const DAY = 86400;
const user = { id: 7, sessionId: `15${'ab'.repeat(32)}` };

function setup(retention = 365 * DAY) {
  const clock = new FixedClock();
  const log = new FakeAuditLog();
  const metrics = new MetricsService();
  const audit = new AuditService(asFake<AuditRepository>(log), clock, metrics, unitConfig({ AUDIT_RETENTION: retention }), fakeRedisOnce());
  return { clock, log, metrics, audit };
}

describe('actorOf', () => {
  it('names an API caller by session id, the system user (the CLI) as "cli", and a wrapping caller by its name', async () => {
    expect(actorOf(user)).toBe(user.sessionId);
    expect(actorOf(undefined)).toBe('cli');
    expect(actorOf({ id: SYSTEM_USER_ID, sessionId: `ff${'00'.repeat(32)}` })).toBe('cli');
    expect(await actingAs('console', async () => [actorOf(undefined), actorOf(user)])).toEqual(['console', user.sessionId]);
    expect(actorOf(undefined)).toBe('cli');
  });
});

describe('AuditService', () => {
  it('records entries at the clock time and counts them by action only', async () => {
    const { audit, log, clock, metrics } = setup();
    await audit.record([
      { actor: user.sessionId, action: 'ban', room: { id: 1, token: 'lobby' }, target: `15${'cd'.repeat(32)}` },
      { actor: 'cli', action: 'ban', target: `15${'ef'.repeat(32)}` },
    ]);
    await audit.record([]);
    expect(log.entries.map((e) => e.at)).toEqual([clock.seconds(), clock.seconds()]);
    const counted = (await metrics.registry.getSingleMetricAsString('scs_moderation_actions_total')).split('\n').filter((l) => !l.startsWith('#'));
    expect(counted).toEqual(['scs_moderation_actions_total{action="ban"} 2']);
  });

  it('prune drops what is older than AUDIT_RETENTION, and nothing when it is 0', async () => {
    const { audit, clock } = setup(30 * DAY);
    await audit.record({ actor: 'cli', action: 'room.create', room: { id: 1, token: 'old' } });
    clock.advance(20 * DAY * 1000);
    await audit.record({ actor: 'cli', action: 'room.create', room: { id: 2, token: 'new' } });
    clock.advance(11 * DAY * 1000);
    expect(await audit.prune()).toBe(1);
    expect((await audit.list()).map((e) => e.room)).toEqual(['new']);

    const forever = setup(0);
    await forever.audit.record({ actor: 'cli', action: 'room.create' });
    forever.clock.advance(10_000 * DAY * 1000);
    expect(await forever.audit.prune()).toBe(0);
    expect(await forever.audit.list()).toHaveLength(1);
  });

  it("a rule's refusals are recorded once per rule, room and target, and a failing throttle never throws", async () => {
    const { audit, log } = setup();
    const lobby = { id: 1, token: 'lobby' };
    const other = `15${'cd'.repeat(32)}`;
    await audit.recordRefusal('slow-mode', lobby, user.sessionId, 'Slow mode');
    await audit.recordRefusal('slow-mode', lobby, user.sessionId.toUpperCase(), 'Slow mode');
    await audit.recordRefusal('slow-mode', { id: 2, token: 'cafe' }, user.sessionId, 'Slow mode');
    await audit.recordRefusal('room-posts', lobby, user.sessionId, 'Post quota');
    await audit.recordRefusal('slow-mode', lobby, other, 'Slow mode');
    expect(log.entries.map((e) => [e.actor, e.action, e.room?.token, e.target])).toEqual([
      ['rule:slow-mode', 'rule.hit', 'lobby', user.sessionId],
      ['rule:slow-mode', 'rule.hit', 'cafe', user.sessionId],
      ['rule:room-posts', 'rule.hit', 'lobby', user.sessionId],
      ['rule:slow-mode', 'rule.hit', 'lobby', other],
    ]);

    const broken = new AuditService(
      asFake<AuditRepository>(new FakeAuditLog()),
      new FixedClock(),
      new MetricsService(),
      unitConfig(),
      asFake<RedisService>({
        key: () => 'k',
        pseudonym: () => 'p',
        client: asFake<RedisService['client']>({ set: () => Promise.reject(new Error('Redis is down')) }),
      }),
    );
    await expect(broken.recordRefusal('dm_daily', null, user.sessionId, 'cap')).resolves.toBeUndefined();
  });
});
