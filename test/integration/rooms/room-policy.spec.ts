// Issue 15 items 1–3: slow mode, quotas and lockdown of a room, set with the CLI and met by
// requests as a stock client sends them, through two servers on one database and one Redis (the
// limits count in Redis, so they hold cluster-wide).
import { randomBytes } from 'node:crypto';
import { SogsClient } from '../../../src/client';
import type { RunningServer } from '../../../src/server';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, grantRoom, messageBody, post } from '../../support/rooms-fixtures';
import { cliOk, envFor } from '../cli/cli-helpers';

describe('room slow mode, quotas and lockdown (issue 15 items 1–3)', () => {
  let ctx: TestContext;
  let replica: RunningServer;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 50 } });
    replica = await ctx.startReplica();
    env = envFor(ctx.config);
    for (const token of ['slow', 'quota', 'locked']) await createRoom(ctx, token);
  });
  afterAll(() => ctx?.close());
  // The CLI's change reaches each server's room cache by notification: a write through ctx.prisma waits for the feed.
  const synced = () => ctx.prisma.$executeRaw`SELECT 1`;

  /** One identity, as three clients: one talking to each server, and one signing as its negated blinded twin. */
  const twoWays = () => {
    const seed = new Uint8Array(randomBytes(32));
    return [
      new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.server.serverKey.publicKey, seed }),
      new SogsClient({ baseUrl: replica.url, serverPubkey: replica.serverKey.publicKey, seed }),
      new SogsClient({ baseUrl: replica.url, serverPubkey: replica.serverKey.publicKey, seed, negatedBlindKey: true }),
    ] as const;
  };
  const postTo = (client: SogsClient, token: string) => client.post(`/room/${token}/message`, messageBody());

  it('slow mode: one post per 30 s per user across both servers, 429 with the reason; moderators exempt; --json shows it', async () => {
    const set = JSON.parse(await cliOk(env, 'rooms', 'policy', 'slow', '--slow-mode', '1/30', '--json')) as { own: Record<string, unknown> };
    expect(set.own.slowMode).toEqual({ posts: 1, seconds: 30 });
    const changed = await ctx.prisma.auditLog.findFirstOrThrow({ where: { action: 'room.policy' }, orderBy: { id: 'desc' } });
    expect([changed.actor, changed.details]).toEqual(['cli', { slowMode: { posts: 1, seconds: 30 } }]);
    await synced();
    const [here, there] = twoWays();
    expect((await postTo(here, 'slow')).code).toBe(201);
    const refused = await postTo(there, 'slow');
    expect([refused.code, refused.text()]).toEqual([429, expect.stringContaining('Slow mode: at most 1 posts per 30 seconds')]);
    // Refused again on the first server: still one audit entry for this user, rule and room (AUDIT_REFUSAL_INTERVAL).
    expect((await postTo(here, 'slow')).code).toBe(429);
    const hits = await ctx.prisma.auditLog.findMany({ where: { action: 'rule.hit', actor: 'rule:slow-mode' } });
    expect(hits.map((h) => [h.target, h.reason])).toEqual([[here.sessionId, expect.stringContaining('Slow mode')]]);
    // Another user has their own window; a moderator has none.
    expect((await postTo(ctx.newUser(), 'slow')).code).toBe(201);
    const [mod, modThere] = twoWays();
    await grantRoom(ctx, 'slow', mod);
    for (const client of [mod, modThere, mod]) expect((await postTo(client, 'slow')).code).toBe(201);
    // The refusal is counted by the server that gave it.
    const metrics = await (await fetch(`${replica.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/scs_rate_limited_requests_total\{rule="slow-mode"\} [1-9]/);
  });

  it('quotas per user in the room: posts per day, reactions per minute, upload bytes per day, across both servers', async () => {
    await cliOk(env, 'rooms', 'policy', 'quota', '--quota-posts-per-day', '2', '--quota-reactions-per-minute', '1', '--quota-upload-bytes-per-day', '1000');
    await synced();
    const [here, there, twin] = twoWays();
    const first = await post(here, 'quota');
    expect((await postTo(there, 'quota')).code).toBe(201);
    const refused = await postTo(here, 'quota');
    expect([refused.code, refused.text()]).toEqual([429, expect.stringContaining('at most 2 posts per day in this room')]);
    // Both blinded forms of a user are one user: the twin id has no fresh quota.
    expect(twin.sessionId).not.toBe(here.sessionId);
    expect((await postTo(twin, 'quota')).code).toBe(429);

    expect((await here.put(`/room/quota/reaction/${first.id}/👍`, {})).code).toBe(200);
    const reaction = await there.put(`/room/quota/reaction/${first.id}/🔥`, {});
    expect([reaction.code, reaction.text()]).toEqual([429, expect.stringContaining('at most 1 reactions per minute in this room')]);

    const upload = (client: SogsClient, bytes: number) =>
      client.request({ method: 'POST', path: '/room/quota/file', body: randomBytes(bytes), headers: { 'Content-Type': 'application/octet-stream' } });
    expect((await upload(here, 600)).code).toBe(201);
    const over = await upload(there, 600);
    expect([over.code, over.text()]).toEqual([429, expect.stringContaining('at most 1000 bytes uploaded per day in this room')]);
    // The refused upload took nothing: what is left still fits.
    expect((await upload(there, 400)).code).toBe(201);
    // Quotas are per room: elsewhere the same user posts on.
    expect((await postTo(here, 'locked')).code).toBe(201);
  });

  it('lockdown: only moderators post, react and upload until it ends by itself; the reason is the 403; audit-logged', async () => {
    const [user, userThere] = twoWays();
    const before = await post(user, 'locked');
    const mod = ctx.newUser();
    await grantRoom(ctx, 'locked', mod);
    const locked = JSON.parse(await cliOk(env, 'rooms', 'lockdown', 'locked', '--for', '1h', '--reason', 'raid in progress', '--json')) as { lockdown_until: number };
    expect(locked.lockdown_until).toBeGreaterThan(Date.now() / 1000 + 3500);
    await synced();

    for (const client of [user, userThere]) {
      const refused = await postTo(client, 'locked');
      expect([refused.code, refused.text()]).toEqual([403, expect.stringMatching(/locked down until \d{4}-.*Z: raid in progress/)]);
    }
    expect((await user.put(`/room/locked/reaction/${before.id}/👍`, {})).code).toBe(403);
    expect((await user.request({ method: 'POST', path: '/room/locked/file', body: randomBytes(10) })).code).toBe(403);
    // Clients learn it from the room's permissions: write and upload are off.
    expect((await user.get('/room/locked')).json()).toMatchObject({ read: true, write: false, upload: false });
    expect((await postTo(mod, 'locked')).code).toBe(201);
    expect((await mod.put(`/room/locked/reaction/${before.id}/👍`, {})).code).toBe(200);

    // An hour later it is over, with nothing run at its end.
    ctx.clock.advance(3601_000);
    expect((await postTo(userThere, 'locked')).code).toBe(201);
    expect((await user.get('/room/locked')).json()).toMatchObject({ write: true, upload: true });

    await cliOk(env, 'rooms', 'lockdown', 'locked', '--for', '2h');
    await synced();
    expect((await postTo(user, 'locked')).code).toBe(403);
    expect(JSON.parse(await cliOk(env, 'rooms', 'unlock', 'locked', '--json'))).toEqual({ room: 'locked', unlocked: true });
    await synced();
    expect((await postTo(user, 'locked')).code).toBe(201);
    const audit = await ctx.prisma.auditLog.findMany({ where: { action: { in: ['room.lockdown', 'room.unlock'] } }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.reason])).toEqual([
      ['room.lockdown', 'raid in progress'],
      ['room.lockdown', null],
      ['room.unlock', null],
    ]);
  });
});
