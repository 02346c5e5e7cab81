import { AuditService } from '../../../src/audit/audit.service';
import type { AuditRecord } from '../../../src/audit/audit.types';
import { RoomsService } from '../../../src/rooms/rooms.service';
import { createTestContext, type TestContext } from '../../support/context';
import { expectStatus, post } from '../../support/rooms-fixtures';
import { cli, cliOk, envFor } from '../cli/cli-helpers';
import { community, type Community } from '../users/community';

// Issue 14 item 1: every moderator/admin action, made through the protocol (signed, onion-wrapped
// requests) or the CLI, lands in audit_log once, with the acting blinded id (or "cli"/"system").

describe('audit log', () => {
  let ctx: TestContext;
  let c: Community;
  let audit: AuditService;
  const entries = (filter: Parameters<AuditService['list']>[0] = {}) => audit.list(filter);
  const pick = (e: AuditRecord) => ({ actor: e.actor, action: e.action, room: e.room, target: e.target });

  beforeEach(async () => {
    ctx = await createTestContext();
    c = await community(ctx);
    audit = ctx.server.app.get(AuditService, { strict: false });
  });
  afterEach(() => ctx.close());

  test('API moderation actions are recorded with the caller as actor', async () => {
    const [mod, admin, user, user2] = [c.mod.sessionId!, c.admin.sessionId!, c.user.sessionId!, c.user2.sessionId!];
    const before = (await entries()).length;
    const m1 = await post(c.user, 'test-room');
    const m2 = await post(c.user, 'test-room');
    const own = await post(c.mod, 'test-room');
    await post(c.user2, 'test-room');

    expectStatus(await c.mod.post(`/user/${user}/ban`, { rooms: ['test-room'], timeout: 600 }), 200);
    expectStatus(await c.mod.post(`/user/${user}/unban`, { rooms: ['test-room'] }), 200);
    expectStatus(await c.admin.post(`/user/${user2}/moderator`, { rooms: ['test-room'], moderator: true }), 200);
    expectStatus(await c.admin.post(`/user/${user2}/moderator`, { rooms: ['test-room'], moderator: false }), 200);
    expectStatus(await c.mod.post(`/room/test-room/permissions/${user}`, { write: false }), 200);
    expectStatus(await c.mod.post(`/room/test-room/futurePermissions/${user}`, { in: 60, write: true }), 200);
    expectStatus(await c.mod.delete(`/room/test-room/message/${m1.id}`), 200);
    // Deleting one's own message is no moderation: not recorded.
    expectStatus(await c.mod.delete(`/room/test-room/message/${own.id}`), 200);
    expectStatus(await c.admin.post(`/room/test-room/pin/${m2.id}`, {}), 200);
    expectStatus(await c.admin.post(`/room/test-room/unpin/${m2.id}`, {}), 200);
    expectStatus(await c.mod.delete(`/room/test-room/all/${user2}`), 200);
    expectStatus(await c.admin.put('/room/test-room', { name: 'Renamed' }), 200);
    expectStatus(await c.globalAdmin.post(`/user/${user}/ban`, { global: true }), 200);

    const recorded = (await entries()).slice(0, -before || undefined).reverse();
    expect(recorded.map(pick)).toEqual([
      { actor: mod, action: 'ban', room: 'test-room', target: user },
      { actor: mod, action: 'unban', room: 'test-room', target: user },
      { actor: admin, action: 'moderator.set', room: 'test-room', target: user2 },
      { actor: admin, action: 'moderator.set', room: 'test-room', target: user2 },
      { actor: mod, action: 'permissions.set', room: 'test-room', target: user },
      { actor: mod, action: 'permissions.schedule', room: 'test-room', target: user },
      { actor: mod, action: 'message.delete', room: 'test-room', target: String(m1.id) },
      { actor: admin, action: 'pin', room: 'test-room', target: String(m2.id) },
      { actor: admin, action: 'unpin', room: 'test-room', target: String(m2.id) },
      { actor: mod, action: 'message.delete_all', room: 'test-room', target: user2 },
      { actor: admin, action: 'room.update', room: 'test-room', target: null },
      { actor: c.globalAdmin.sessionId!, action: 'ban', room: null, target: user },
    ]);
    expect(recorded[0].details).toEqual({ timeout: 600, shadow: false });
    expect(recorded[6].details).toEqual({ author: user });
    expect(recorded[10].details).toEqual({ name: 'Renamed' });

    // A refused action records nothing.
    const count = (await entries()).length;
    expect((await c.user.post(`/user/${user2}/ban`, { rooms: ['test-room'] })).code).toBe(403);
    expect((await entries()).length).toBe(count);
  });

  test('timed changes applied by the job are recorded as "system"', async () => {
    const user = c.user.sessionId!;
    expectStatus(await c.mod.post(`/user/${user}/ban`, { rooms: ['test-room'], timeout: 30 }), 200);
    expectStatus(await c.mod.post(`/room/test-room/futurePermissions/${user}`, { in: 20, upload: false }), 200);
    ctx.clock.advance(31_000);
    await c.moderation.applyDueFutures(ctx.clock.seconds());
    const [unban, applied] = await entries({ actor: 'system' });
    expect(pick(unban)).toEqual({ actor: 'system', action: 'unban', room: 'test-room', target: user });
    expect(pick(applied)).toEqual({ actor: 'system', action: 'permissions.apply', room: 'test-room', target: user });
    expect(applied.details).toMatchObject({ upload: false });
  });

  test('CLI actions are recorded as "cli"; audit list filters by room, actor, target, action and age; room deletion keeps the token', async () => {
    const env = envFor(ctx.config);
    const user = c.user.sessionId!;
    await cliOk(env, 'rooms', 'add', 'cli-room', '--name', 'CLI room');
    await cliOk(env, 'bans', 'add', user, '--room', 'cli-room', '--duration', '1h');
    await cliOk(env, 'rooms', 'delete', 'cli-room', '--yes');
    const listed = JSON.parse(await cliOk(env, 'audit', 'list', '--room', 'CLI-ROOM', '--json')) as AuditRecord[];
    expect(listed.map(pick)).toEqual([
      { actor: 'cli', action: 'room.delete', room: 'cli-room', target: null },
      { actor: 'cli', action: 'ban', room: 'cli-room', target: user },
      { actor: 'cli', action: 'room.update', room: 'cli-room', target: null },
      { actor: 'cli', action: 'room.create', room: 'cli-room', target: null },
    ]);
    const byTarget = JSON.parse(await cliOk(env, 'audit', 'list', '--target', user.toUpperCase(), '--json')) as AuditRecord[];
    expect(byTarget.map((e) => e.action)).toEqual(['ban']);
    const byAction = JSON.parse(await cliOk(env, 'audit', 'list', '--action', 'room.update', '--room', 'cli-room', '--json')) as AuditRecord[];
    expect(byAction.map(pick)).toEqual([{ actor: 'cli', action: 'room.update', room: 'cli-room', target: null }]);
    expect((await cli(env, 'audit', 'list', '--action', 'nuke')).stderr).toContain("Unknown action 'nuke'");
    expectStatus(await c.mod.post(`/user/${user}/ban`, { rooms: ['test-room'] }), 200);
    const byActor = JSON.parse(await cliOk(env, 'audit', 'list', '--actor', c.mod.sessionId!, '--json')) as AuditRecord[];
    expect(byActor.map(pick)).toEqual([{ actor: c.mod.sessionId!, action: 'ban', room: 'test-room', target: user }]);
    // The community's moderators were granted through the service as the CLI does.
    expect((await entries({ actor: 'cli' })).filter((e) => e.action === 'moderator.set')).toHaveLength(4);
    // --since is relative to now; entries from the test clock's past drop out.
    const text = await cliOk(env, 'audit', 'list', '--since', '1h');
    expect(text).toContain('room.delete');
    expect((await cli(env, 'audit', 'list', '--since', 'soon')).code).toBe(2);
    expect(await cliOk(env, 'audit', 'list', '--actor', 'nobody')).toBe('No audit log entries\n');
  });

  test('room image, file deletion and reaction clears are recorded', async () => {
    const rooms = ctx.server.app.get(RoomsService, { strict: false });
    const upload = await c.admin.request({
      method: 'POST',
      path: '/room/test-room/file',
      body: Buffer.from('png'),
      headers: { 'Content-Disposition': 'attachment; filename="i.png"' },
    });
    expectStatus(upload, 201);
    const id = upload.json<{ id: number }>().id;
    expectStatus(await c.admin.put('/room/test-room', { image: id }), 200);
    const m = await post(c.user, 'test-room');
    expectStatus(await c.user.put(`/room/test-room/reaction/${m.id}/👍`, {}), 200);
    expectStatus(await c.mod.delete(`/room/test-room/reactions/${m.id}`), 200);
    await rooms.deleteRoomFiles([id], ctx.clock.seconds());
    const [del, clear, image] = await entries();
    expect(pick(image)).toEqual({ actor: c.admin.sessionId!, action: 'room.image', room: 'test-room', target: null });
    expect(pick(clear)).toEqual({ actor: c.mod.sessionId!, action: 'reactions.clear', room: 'test-room', target: String(m.id) });
    expect(pick(del)).toEqual({ actor: 'cli', action: 'file.delete', room: null, target: String(id) });
  });

  test('retention: the prune job drops entries older than AUDIT_RETENTION', async () => {
    const user = c.user.sessionId!;
    const all = (await entries()).length;
    // Later entries are made as the CLI does: a signed request would be refused at the advanced time.
    ctx.clock.advance(10 * 86400_000);
    await c.moderation.ban(user, { rooms: ['test-room'] });
    ctx.clock.advance((365 - 5) * 86400_000);
    expect(await audit.prune()).toBe(all);
    expect((await entries()).map((e) => e.action)).toEqual(['ban']);
    ctx.clock.advance(6 * 86400_000);
    expect(await audit.prune()).toBe(1);
    expect(await entries()).toEqual([]);
  });
});
