// issue 7: the poll path served from change-notified caches and direct routes. What a poll answers
// must be exactly what the full routes answer, and every committed change — by this server, a
// replica, or SQL from outside — must be seen by the next poll.
import { Client } from 'pg';
import { CHANGE_FEED_APPLICATION } from '../../../src/cache/change-feed';
import { SogsClient, type SogsResponse } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { banGlobally, banInRoom, createRoom, grantRoom, post, userOf } from '../../support/rooms-fixtures';

let ctx: TestContext;
let sql: Client;

beforeAll(async () => {
  ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0 } });
  sql = new Client({ connectionString: ctx.databaseUrl });
  await sql.connect();
  for (const token of ['lobby', 'quiet', 'closed']) await createRoom(ctx, token);
});
afterAll(async () => {
  await sql?.end();
  await ctx?.close();
});

/** A sub-response in the shape of the full route's own reply, for comparison. */
const asSubResponse = (res: SogsResponse) => ({
  code: res.code,
  headers: res.headers,
  body: res.headers['content-type'] !== 'application/json' ? res.body.toString('base64') : res.body.length ? res.json() : null,
});

/** The same requests as one poll batch and one by one (the full routes); both answers. */
async function bothWays(client: SogsClient, paths: string[]) {
  const batch = await client.batch(paths.map((path) => ({ method: 'GET' as const, path })));
  expect(batch.code).toBe(200);
  const alone = [];
  for (const path of paths) alone.push(asSubResponse(await client.get(path)));
  return { batched: batch.items, alone };
}

const codes = async (client: SogsClient, paths: string[]) => (await client.batch(paths.map((path) => ({ method: 'GET' as const, path })))).items.map((i) => i.code);

describe('poll batches answer exactly as the full routes', () => {
  it('pollInfo, messages/since (with reactions, limit), inbox and outbox since, idle and busy', async () => {
    const alice = ctx.newUser();
    const bob = ctx.newUser();
    await bob.get('/capabilities');
    const first = await post(alice, 'lobby');
    await post(alice, 'lobby');
    expect((await alice.put(`/room/lobby/reaction/${first.id}/👍`, {})).code).toBe(200);
    expect((await alice.post(`/inbox/${bob.sessionId}`, { message: Buffer.from('hi').toString('base64') })).code).toBe(201);
    const info = (await alice.get('/room/lobby')).json<{ info_updates: number; message_sequence: number }>();

    const paths = [
      `/room/lobby/pollInfo/${info.info_updates}`,
      '/room/lobby/pollInfo/0',
      `/room/lobby/messages/since/${info.message_sequence}`,
      `/room/lobby/messages/since/0?t=r&reactors=2`,
      `/room/lobby/messages/since/${first.seqno - 1}?limit=1`,
      '/room/quiet/messages/since/0',
      '/inbox/since/0',
      '/outbox/since/0',
    ];
    for (const client of [alice, bob]) {
      const { batched, alone } = await bothWays(client, paths);
      expect(batched).toEqual(alone);
    }
    const { batched } = await bothWays(bob, paths);
    expect(batched.map((b) => b.code)).toEqual([200, 200, 200, 200, 200, 200, 200, 304]);
  });

  it('refusals come from the full routes: unknown room, no read, banned, bad numbers, anonymous DM poll', async () => {
    const eve = ctx.newUser();
    await post(eve, 'quiet');
    await sql.query(`UPDATE rooms SET read = false WHERE token = 'closed'`);
    await banInRoom(ctx, 'quiet', eve);
    const paths = ['/room/nowhere/pollInfo/0', '/room/closed/messages/since/0', '/room/quiet/pollInfo/0', '/room/lobby/messages/since/0?limit=x', '/room/lobby/pollInfo/-1'];
    await eventually(async () => {
      const { batched, alone } = await bothWays(eve, paths);
      expect(batched.map((b) => b.code)).toEqual([404, 403, 403, 400, 404]);
      expect(batched.map((b) => [b.code, b.headers])).toEqual(alone.map((a) => [a.code, a.headers]));
    });
    const { batched, alone } = await bothWays(ctx.anon(), ['/inbox/since/0', '/room/lobby/pollInfo/0']);
    expect(batched.map((b) => b.code)).toEqual([401, 200]);
    expect(batched).toEqual(alone);
  });
});

describe('change notifications reach the caches', () => {
  it('an idle poll reads nothing from the database once warm', async () => {
    const user = ctx.newUser();
    const paths = ['/room/lobby/pollInfo/0', '/room/lobby/messages/since/999999', '/inbox/since/0', '/outbox/since/0'];
    await codes(user, paths);
    await codes(user, paths);
    const query = jest.spyOn(Client.prototype, 'query');
    try {
      for (let i = 0; i < 5; i++) await codes(user, paths);
      expect(query).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
    }
  });

  it('changes made by SQL outside the server: room defaults, overrides, global ban, new rooms, DMs, posts', async () => {
    const carol = ctx.newUser();
    const dave = ctx.newUser();
    await dave.get('/capabilities');
    const poll = ['/room/lobby/pollInfo/0', '/room/fresh/pollInfo/0', '/inbox/since/0'];
    expect(await codes(carol, poll)).toEqual([200, 404, 304]);

    await sql.query(`UPDATE rooms SET read = false WHERE token = 'lobby'`);
    await eventually(async () => expect((await codes(carol, poll))[0]).toBe(403));
    await grantRoom(ctx, 'lobby', carol);
    await eventually(async () => expect((await codes(carol, poll))[0]).toBe(200));
    await sql.query(`UPDATE rooms SET read = true WHERE token = 'lobby'`);

    await sql.query(`INSERT INTO rooms (token, name) VALUES ('fresh', 'Fresh')`);
    await eventually(async () => expect((await codes(carol, poll))[1]).toBe(200));

    const [c, d] = [await userOf(ctx, carol), await userOf(ctx, dave)];
    await sql.query(`INSERT INTO inbox (recipient, sender, body, expiry) VALUES ($1, $2, 'x', 9999999999)`, [c.id, d.id]);
    await eventually(async () => expect((await codes(carol, poll))[2]).toBe(200));
    expect((await codes(dave, ['/outbox/since/0']))[0]).toBe(200);

    const seq = (await carol.get('/room/fresh')).json<{ message_sequence: number }>().message_sequence;
    const since = [`/room/fresh/messages/since/${seq}`];
    expect((await carol.batch([{ method: 'GET', path: since[0] }])).items[0].body).toEqual([]);
    const m = await post(dave, 'fresh');
    expect((await carol.batch([{ method: 'GET', path: since[0] }])).items[0].body).toEqual([expect.objectContaining({ id: m.id })]);

    await banGlobally(ctx, carol);
    await eventually(async () => expect((await carol.batch([{ method: 'GET', path: poll[0] }])).code).toBe(403));
  });

  it('what a request wrote is in the very next poll on the same server (the reply waits for the change feed)', async () => {
    const [writer, reader] = [ctx.newUser(), ctx.newUser()];
    await reader.get('/capabilities');
    for (let i = 0; i < 10; i++) {
      const seq = (await reader.batch([{ method: 'GET', path: '/room/lobby/pollInfo/0' }])).items[0].body as { token: string };
      expect(seq.token).toBe('lobby');
      const before = (await reader.get('/room/lobby')).json<{ message_sequence: number }>().message_sequence;
      await reader.batch([{ method: 'GET', path: `/room/lobby/messages/since/${before}` }]);
      const m = await post(writer, 'lobby');
      const polled = await reader.batch([
        { method: 'GET', path: `/room/lobby/messages/since/${before}` },
        { method: 'GET', path: '/inbox/since/0' },
      ]);
      expect(polled.items[0].body).toEqual([expect.objectContaining({ id: m.id })]);
      expect((await writer.post(`/inbox/${reader.sessionId}`, { message: Buffer.from(`dm ${i}`).toString('base64') })).code).toBe(201);
      const inbox = (await reader.batch([{ method: 'GET', path: `/inbox/since/0` }])).items[0];
      expect(inbox.code).toBe(200);
      expect((inbox.body as unknown[]).length).toBe(i + 1);
    }
  });

  it('concurrent posts read their own writes, and no pg connection is sent a query while one runs (issue 19 item 11)', async () => {
    // pg@8 queues such a query and warns ("already executing a query"); pg@9 will refuse it. The
    // warning itself does not reach a jest sandbox's process, so every query of the app is watched.
    const running = new Map<Client, number>();
    const overlaps: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the patched client's `this` below
    const query = Client.prototype.query;
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const n = running.get(this) ?? 0;
      if (n > 0) overlaps.push(String((args[0] as { text?: string }).text ?? args[0]).slice(0, 60));
      running.set(this, n + 1);
      const done = () => running.set(this, (running.get(this) ?? 1) - 1);
      const result = (query as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) result.then(done, done);
      else done();
      return result;
    } as typeof query;
    try {
      const writers = Array.from({ length: 24 }, () => ctx.newUser());
      for (let round = 0; round < 4; round++) {
        await Promise.all(
          writers.map(async (writer, i) => {
            // Staggered, so the barriers of several event-loop turns are in flight at once.
            await new Promise((r) => setTimeout(r, i % 4));
            const before = (await writer.get('/room/lobby')).json<{ message_sequence: number }>().message_sequence;
            const m = await post(writer, 'lobby');
            const polled = await writer.batch([{ method: 'GET', path: `/room/lobby/messages/since/${before}?limit=256` }]);
            expect(polled.items[0].body).toEqual(expect.arrayContaining([expect.objectContaining({ id: m.id })]));
          }),
        );
      }
    } finally {
      Client.prototype.query = query;
    }
    expect(overlaps).toEqual([]);
  });

  it('a post through a replica is in the next poll here', async () => {
    const replica = await ctx.startReplica();
    const viaReplica = new SogsClient({ baseUrl: replica.url, serverPubkey: replica.serverKey.publicKey, seed: new Uint8Array(32).fill(3) });
    const reader = ctx.newUser();
    const seq = (await reader.get('/room/quiet')).json<{ message_sequence: number }>().message_sequence;
    const path = `/room/quiet/messages/since/${seq}`;
    expect((await reader.batch([{ method: 'GET', path }])).items[0].body).toEqual([]);
    const m = await post(viaReplica, 'quiet');
    await eventually(async () => expect((await reader.batch([{ method: 'GET', path }])).items[0].body).toEqual([expect.objectContaining({ id: m.id })]));
  });

  it('losing the notification connection: polls read the database meanwhile, and it comes back', async () => {
    const user = ctx.newUser();
    const listeners = async () =>
      (await sql.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, [CHANGE_FEED_APPLICATION])).rows;
    const paths = ['/room/quiet/pollInfo/0'];
    expect(await codes(user, paths)).toEqual([200]);
    const before = await listeners();
    expect(before.length).toBeGreaterThan(0);
    for (const { pid } of before) await sql.query('SELECT pg_terminate_backend($1)', [pid]);
    await sql.query(`UPDATE rooms SET read = false WHERE token = 'quiet'`);
    await eventually(async () => expect(await codes(user, paths)).toEqual([403]));
    await eventually(async () => expect((await listeners()).length).toBeGreaterThanOrEqual(before.length), 10_000);
    await sql.query(`UPDATE rooms SET read = true WHERE token = 'quiet'`);
    await eventually(async () => expect(await codes(user, paths)).toEqual([200]));
  });
});
