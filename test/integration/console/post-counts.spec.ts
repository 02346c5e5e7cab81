import { RoomsService } from '../../../src/rooms/rooms.service';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, messageBody } from '../../support/rooms-fixtures';

// Issue 17: the console's posts-per-hour chart reads per-room, per-hour counts kept in PostgreSQL
// (room_hourly_posts) by a periodic job, for POST_COUNTS_RETENTION.

describe('per-hour post counts', () => {
  let ctx: TestContext;
  let rooms: RoomsService;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { POST_COUNTS_RETENTION: 10 * 86400 } });
    rooms = ctx.server.app.get(RoomsService);
    await createRoom(ctx, 'one');
    await createRoom(ctx, 'two');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test('posts are counted per room and hour, recounted as they come, and dropped past the retention', async () => {
    const user = ctx.newUser();
    const posted: number[] = [];
    for (const [room, text] of [
      ['one', 'a'],
      ['one', 'b'],
      ['two', 'c'],
      ['one', 'd'],
    ]) {
      const res = await user.post(`/room/${room}/message`, messageBody(text));
      expectStatus(res, 201);
      posted.push(res.json<{ id: number }>().id);
    }
    const hour = Math.floor(Date.now() / 1000 / 3600);
    // One post two hours ago, one a day ago, one past the 10-day retention.
    await ctx.prisma.message.update({ where: { id: posted[1] }, data: { posted: (hour - 2) * 3600 + 5 } });
    await ctx.prisma.message.update({ where: { id: posted[2] }, data: { posted: (hour - 24) * 3600 + 5 } });
    await ctx.prisma.message.update({ where: { id: posted[3] }, data: { posted: (hour - 11 * 24) * 3600 } });

    await rooms.countPosts();
    const counts = await ctx.prisma.roomHourlyPosts.findMany({ orderBy: [{ hour: 'asc' }] });
    const one = (await ctx.prisma.room.findFirstOrThrow({ where: { token: 'one' } })).id;
    const two = (await ctx.prisma.room.findFirstOrThrow({ where: { token: 'two' } })).id;
    expect(counts.map((c) => [c.roomId, hour - c.hour, c.posts])).toEqual([
      [two, 24, 1],
      [one, 2, 1],
      [one, 0, 1],
    ]);
    const week = await rooms.hourlyPosts(168);
    expect(week).toHaveLength(168);
    expect(week[167]).toEqual({ hour, posts: 1 });
    expect(week.reduce((sum, h) => sum + h.posts, 0)).toBe(3);

    // Later runs recount only the latest hours: a new post this hour is added, older counts stay.
    expectStatus(await user.post('/room/two/message', messageBody('e')), 201);
    await rooms.countPosts();
    expect((await rooms.hourlyPosts(1))[0]).toEqual({ hour, posts: 2 });
    expect((await rooms.hourlyPosts(1, (await rooms.findByToken('two'))!))[0]).toEqual({ hour, posts: 1 });

    // Past the retention a count is dropped.
    ctx.clock.advance((9 * 24 + 2) * 3600 * 1000);
    await rooms.countPosts();
    expect(await ctx.prisma.roomHourlyPosts.count({ where: { hour: hour - 24 } })).toBe(0);
    expect(await ctx.prisma.roomHourlyPosts.count({ where: { hour } })).toBe(2);
  });
});
