// Issue 14 item 2: trusted users and new users, set from the CLI, counted from what users post
// through the protocol (signed, onion-wrapped requests), read through StandingService.
import type { SogsClient } from '../../../src/client';
import { AuditService } from '../../../src/audit/audit.service';
import { isRestrictedNewUser, isUntrusted, StandingService } from '../../../src/moderation/standing.service';
import { RoomsService } from '../../../src/rooms/rooms.service';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { createRoom, expectStatus, grantRoom, post, sessionMessage, userOf } from '../../support/rooms-fixtures';
import { cli, cliOk, envFor } from '../cli/cli-helpers';

const HOUR = 3600_000;

describe('standing: trusted and new users (issue 14 item 2)', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  let standing: StandingService;

  beforeAll(async () => {
    // Clients sign with the real time while the server's clock moves days ahead: a wide window.
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, AUTH_TIMESTAMP_WINDOW: 30 * 86400 } });
    env = envFor(ctx.config);
    standing = ctx.server.app.get(StandingService, { strict: false });
  });
  afterAll(() => ctx?.close());

  const roomIdOf = async (token: string) => (await ctx.prisma.room.findFirstOrThrow({ where: { token } })).id;
  const standingOf = async (token: string, client: SogsClient) => standing.standing(await roomIdOf(token), (await userOf(ctx, client)).id);

  it('a user is new until N accepted posts and T after first seen; deleted, filtered and shadow-hidden posts do not count', async () => {
    await createRoom(ctx, 'newbies');
    await ctx.prisma.room.update({ where: { token: 'newbies' }, data: { policy: { words: { list: ['spamword'], action: 'silent' } } } });
    await createRoom(ctx, 'elsewhere');
    const [alice, bob] = [ctx.newUser(), ctx.newUser()];
    // First seen: the first request in the room (desktop's first poll).
    expectStatus(await alice.get('/room/newbies/messages/recent'), 200);
    expect(await standingOf('newbies', alice)).toEqual({ moderator: false, trusted: false, newUser: true });

    const posted = [await post(alice, 'newbies'), await post(alice, 'newbies'), await post(alice, 'newbies')];
    // Three accepted posts (the default NEW_USER_POSTS), but first seen less than NEW_USER_AGE ago.
    expect((await standingOf('newbies', alice)).newUser).toBe(true);
    ctx.clock.advance(25 * HOUR);
    const old = await standingOf('newbies', alice);
    expect(old).toEqual({ moderator: false, trusted: false, newUser: false });
    expect(isUntrusted(old)).toBe(true);
    expect(isRestrictedNewUser(old)).toBe(false);
    // Standing is per room: alice is new in a room she never posted in.
    expectStatus(await alice.get('/room/elsewhere/messages/recent'), 200);
    expect((await standingOf('elsewhere', alice)).newUser).toBe(true);

    // A deleted post no longer counts; a silently filtered one never does.
    expectStatus(await alice.delete(`/room/newbies/message/${posted[0].id}`), 200);
    expect((await standingOf('newbies', alice)).newUser).toBe(true);
    expect(await post(alice, 'newbies', sessionMessage('buy spamword now'))).toMatchObject({ filtered: true });
    expect((await standingOf('newbies', alice)).newUser).toBe(true);
    await post(alice, 'newbies');
    expect((await standingOf('newbies', alice)).newUser).toBe(false);

    // A shadow-banned user's posts are hidden from everyone: they make no one less new.
    expectStatus(await bob.get('/room/newbies/messages/recent'), 200);
    await cliOk(env, 'bans', 'add', bob.sessionId!, '--room', 'newbies', '--shadow');
    for (let i = 0; i < 3; i++) await post(bob, 'newbies');
    ctx.clock.advance(25 * HOUR);
    expect((await standingOf('newbies', bob)).newUser).toBe(true);
  });

  it('trust add/remove/list from the CLI, per room and global, several ids at once; audit-logged; trusted in the permissions the post path holds', async () => {
    await createRoom(ctx, 'trusty');
    await createRoom(ctx, 'trusty2');
    const [carol, dave, mod] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    await grantRoom(ctx, 'trusty', mod);
    for (const c of [carol, dave, mod]) expectStatus(await c.get('/room/trusty/messages/recent'), 200);
    expect(await standingOf('trusty', carol)).toEqual({ moderator: false, trusted: false, newUser: true });
    expect(await standingOf('trusty', mod)).toMatchObject({ moderator: true, trusted: false });
    expect(isRestrictedNewUser(await standingOf('trusty', mod))).toBe(false);

    const out = await cliOk(env, 'trust', 'add', carol.sessionId!, dave.sessionId!, '--room', 'trusty');
    expect(out).toContain(`${carol.sessionId} is trusted in trusty`);
    expect(out).toContain(`${dave.sessionId} is trusted in trusty`);
    const trusted = await standingOf('trusty', carol);
    expect(trusted).toEqual({ moderator: false, trusted: true, newUser: true });
    expect(isRestrictedNewUser(trusted)).toBe(false);
    expect(isUntrusted(trusted)).toBe(false);
    expect((await standingOf('trusty2', carol)).trusted).toBe(false);

    // The route guard's (cached, change-notified) permissions carry the flag too.
    const rooms = ctx.server.app.get(RoomsService, { strict: false });
    const carolAuth = { ...(await userOf(ctx, carol)), sessionId: carol.sessionId! };
    await eventually(async () => expect((await rooms.access('trusty', carolAuth))?.permissions.trusted).toBe(true));

    await cliOk(env, 'trust', 'add', dave.sessionId!, '--global');
    expect((await standingOf('trusty2', dave)).trusted).toBe(true);
    const listed = JSON.parse(await cliOk(env, 'trust', 'list', '--json')) as Array<{ session_id: string; room: string | null }>;
    expect(listed).toEqual(
      expect.arrayContaining([
        { session_id: dave.sessionId, room: null },
        { session_id: carol.sessionId, room: 'trusty' },
        { session_id: dave.sessionId, room: 'trusty' },
      ]),
    );
    expect(JSON.parse(await cliOk(env, 'trust', 'list', '--room', 'trusty2', '--json'))).toEqual([{ session_id: dave.sessionId, room: null }]);

    await cliOk(env, 'trust', 'remove', carol.sessionId!, '--room', 'trusty');
    await cliOk(env, 'trust', 'remove', dave.sessionId!, '--global');
    expect((await standingOf('trusty', carol)).trusted).toBe(false);
    expect((await standingOf('trusty2', dave)).trusted).toBe(false);
    expect((await standingOf('trusty', dave)).trusted).toBe(true);

    const audit = ctx.server.app.get(AuditService, { strict: false });
    const entries = (await audit.list({ since: 0 })).filter((e) => e.action === 'trust' || e.action === 'untrust').reverse();
    expect(entries.map((e) => [e.actor, e.action, e.room, e.target])).toEqual([
      ['cli', 'trust', 'trusty', carol.sessionId],
      ['cli', 'trust', 'trusty', dave.sessionId],
      ['cli', 'trust', null, dave.sessionId],
      ['cli', 'untrust', 'trusty', carol.sessionId],
      ['cli', 'untrust', null, dave.sessionId],
    ]);

    // Bad input: an unknown room, a malformed id, no scope.
    expect((await cli(env, 'trust', 'add', carol.sessionId!, '--room', 'nope')).code).not.toBe(0);
    expect((await cli(env, 'trust', 'add', 'nonsense', '--room', 'trusty')).code).not.toBe(0);
    expect((await cli(env, 'trust', 'add', carol.sessionId!)).code).not.toBe(0);
  });

  it('rooms update --new-user-posts/--new-user-age set the room its own bounds; default goes back to the server default', async () => {
    await createRoom(ctx, 'strict');
    const erin = ctx.newUser();
    expectStatus(await erin.get('/room/strict/messages/recent'), 200);
    for (let i = 0; i < 3; i++) await post(erin, 'strict');
    ctx.clock.advance(25 * HOUR);
    expect((await standingOf('strict', erin)).newUser).toBe(false);

    const shown = JSON.parse(await cliOk(env, 'rooms', 'update', 'strict', '--new-user-posts', '5', '--new-user-age', '7d', '--json'));
    expect(shown).toEqual({
      room: 'strict',
      own: { newUserPosts: 5, newUserAge: 7 * 86400 },
      effective: expect.objectContaining({ newUserPosts: 5, newUserAge: 7 * 86400, heldMode: 'off' }),
    });
    expect((await standingOf('strict', erin)).newUser).toBe(true);

    // Age off, posts back to the server default (3): erin is no longer new.
    const text = await cliOk(env, 'rooms', 'update', 'strict', '--new-user-posts', 'default', '--new-user-age', '0');
    expect(text).toContain('new users: fewer accepted posts than: 3 (server default)');
    expect(text).toContain('new users: first seen less than: off');
    expect(await ctx.prisma.room.findFirstOrThrow({ where: { token: 'strict' }, select: { newUserPosts: true, newUserAge: true } })).toEqual({ newUserPosts: null, newUserAge: 0 });
    expect((await standingOf('strict', erin)).newUser).toBe(false);

    const bad = await cli(env, 'rooms', 'update', 'strict', '--new-user-posts', 'many');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--new-user-posts must be a whole number');
    expect((await cli(env, 'rooms', 'update', 'strict')).stderr).toContain('--new-user-posts');

    const audit = ctx.server.app.get(AuditService, { strict: false });
    const updates = (await audit.list({ room: 'strict' })).filter((e) => e.action === 'room.update').map((e) => e.details);
    expect(updates.reverse()).toEqual([
      { newUserPosts: 5, newUserAge: 7 * 86400 },
      { newUserPosts: null, newUserAge: 0 },
    ]);
  });
});
