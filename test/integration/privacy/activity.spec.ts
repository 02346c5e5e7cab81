import { Client } from 'pg';
import type { SogsClient } from '../../../src/client';
import { RoomsService } from '../../../src/rooms/rooms.service';
import { createTestContext, type TestContext } from '../../support/context';
import { banInRoom, createRoom, userOf } from '../../support/rooms-fixtures';

// Issue 20 item 2: activity is stored to the hour (ACTIVITY_GRANULARITY), written once per hour,
// and active-user counts still count everyone active in their window.
const HOUR = 3600;
const DAY = 86400;
let ctx: TestContext;
let rooms: RoomsService;
let granule: number;

beforeAll(async () => {
  ctx = await createTestContext();
  rooms = ctx.server.app.get(RoomsService, { strict: false });
  await createRoom(ctx, 'coarse');
  // Five minutes into an hour, so the test's polls all fall in one granule.
  const now = ctx.clock.seconds();
  ctx.clock.advance((HOUR - (now % HOUR) + 300) * 1000);
  granule = Math.floor(ctx.clock.seconds() / HOUR) * HOUR;
});
afterAll(() => ctx?.close());

const poll = (user: SogsClient, path: string) => user.request({ method: 'GET', path, timestamp: Math.floor(ctx.clock.seconds()) });
async function activity(user: SogsClient) {
  const { id } = await userOf(ctx, user);
  const [row] = await ctx.prisma.$queryRaw<Array<{ user: number; room: number; user_xmin: string; room_xmin: string }>>`
    SELECT u.last_active AS "user", ru.last_active AS room, u.xmin::text AS user_xmin, ru.xmin::text AS room_xmin
    FROM users u JOIN room_users ru ON ru."user" = u.id WHERE u.id = ${id}`;
  return row;
}
const activeUsers = async () => {
  await rooms.refreshActiveUsers();
  return (await ctx.prisma.room.findFirstOrThrow({ where: { token: 'coarse' } })).activeUsers;
};

it('two polls in the same hour leave one value, the hour, and the second writes nothing', async () => {
  const [alice, bob] = [ctx.newUser(), ctx.newUser()];
  expect((await poll(alice, '/room/coarse/pollInfo/0')).code).toBe(200);
  const first = await activity(alice);
  expect(first).toMatchObject({ user: granule, room: granule });

  ctx.clock.advance(20 * 60 * 1000);
  expect((await poll(alice, '/room/coarse/pollInfo/0')).code).toBe(200);
  expect((await poll(alice, '/room/coarse/messages/recent')).code).toBe(200);
  // Same values, and the same row versions: neither row was rewritten.
  expect(await activity(alice)).toEqual(first);

  ctx.clock.advance(25 * 60 * 1000); // 50 minutes into the hour
  expect((await poll(bob, '/room/coarse/messages/recent')).code).toBe(200);
  expect(await activity(bob)).toMatchObject({ user: granule, room: granule });
  expect(await activeUsers()).toBe(2);
  process.stdout.write(`privacy: polls at +5, +25 and +50 min stored as ${granule} (the hour); active_users 2\n`);

  // The next hour's poll moves both values to the next granule.
  ctx.clock.advance(HOUR * 1000);
  expect((await poll(alice, '/room/coarse/pollInfo/0')).code).toBe(200);
  expect(await activity(alice)).toMatchObject({ user: granule + HOUR, room: granule + HOUR });
});

it('active counts: everyone active in the window is counted (a granule counts while any of it is in the window)', async () => {
  const room = await ctx.prisma.room.findFirstOrThrow({ where: { token: 'coarse' } });
  const start = ctx.clock.seconds();
  // Bob polled 50 minutes into `granule`. At granule + 7 days + 30 minutes he was active 6 d 23 h 40 min
  // ago, inside ACTIVE_THRESHOLD: counted (an exact-time comparison against the floored value would miss him).
  ctx.clock.advance((granule + 7 * DAY + 1800 - start) * 1000);
  expect(await activeUsers()).toBe(2);
  const stats = await rooms.roomStats(room, ctx.clock.seconds());
  expect(stats).toMatchObject({ active: { d1: 0, d7: 2, d14: 2, d30: 2 } });
  // Once the whole granule has left the window only alice (active an hour later) remains.
  ctx.clock.advance(HOUR * 1000);
  expect(await activeUsers()).toBe(1);
  ctx.clock.advance(HOUR * 1000);
  expect(await activeUsers()).toBe(0);
});

it("a member's first poll of 20 rooms writes its 20 rows in one statement and reads its overrides in one; a repeat writes none", async () => {
  const tokens = Array.from({ length: 20 }, (_, i) => `wide${i}`);
  for (const token of tokens) await createRoom(ctx, token);
  const paths = tokens.flatMap((t) => [`/room/${t}/pollInfo/0`, `/room/${t}/messages/since/0`]);
  const pollAll = (user: SogsClient) =>
    user.batch(
      paths.map((path) => ({ method: 'GET' as const, path })),
      { timestamp: Math.floor(ctx.clock.seconds()) },
    );
  // Someone else's poll first: the rooms are then in the room cache, as on a running server.
  expect((await pollAll(ctx.newUser())).items.map((i) => i.code)).toEqual(paths.map(() => 200));
  const [carol, dave] = [ctx.newUser(), ctx.newUser()];
  await banInRoom(ctx, 'wide7', dave);

  const query = jest.spyOn(Client.prototype, 'query');
  const texts = () => query.mock.calls.map(([q]) => (typeof q === 'string' ? q : (q as { text: string }).text));
  const statements = (what: RegExp) => texts().filter((t) => what.test(t)).length;
  try {
    for (const user of [carol, dave]) {
      query.mockClear();
      const res = await pollAll(user);
      expect(res.items.map((i) => i.code)).toEqual(paths.map((p) => (user === dave && p.startsWith('/room/wide7/') ? 403 : 200)));
      expect([statements(/INSERT INTO room_users/), statements(/FROM user_permission_overrides/)]).toEqual([1, 1]);
      // A new user's whole first poll: its look-up, its row (no transaction), the overrides, the activity rows.
      if (user === carol)
        expect(texts()).toEqual([/FROM "public"."users"/, /INSERT INTO users/, /FROM user_permission_overrides/, /INSERT INTO room_users/].map((r) => expect.stringMatching(r)));
    }
    // Nothing at all the next time: rows, overrides and the new user are all known now.
    query.mockClear();
    await Promise.all([pollAll(carol), pollAll(dave)]);
    expect(texts()).toEqual([]);
  } finally {
    query.mockRestore();
  }

  const at = Math.floor(ctx.clock.seconds() / HOUR) * HOUR;
  for (const [user, count] of [
    [carol, 20],
    [dave, 19],
  ] as const) {
    const { id } = await userOf(ctx, user);
    const rows = await ctx.prisma.$queryRaw<Array<{ token: string; last_active: number; first_seen: number }>>`
      SELECT r.token::text AS token, ru.last_active, ru.first_seen FROM room_users ru JOIN rooms r ON r.id = ru.room WHERE ru."user" = ${id} ORDER BY r.id`;
    expect(rows).toHaveLength(count);
    expect(rows.every((r) => r.last_active === at && r.first_seen === at)).toBe(true);
    expect(rows.some((r) => r.token === 'wide7')).toBe(user === carol);
  }
});
