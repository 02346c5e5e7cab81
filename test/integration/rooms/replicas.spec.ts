// issue 3 "Done when": two server processes on one database; seqnos never repeat or go backwards
// under concurrent posts, edits and reactions (protocol §7.1).
import { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, messageBody, post } from '../../support/rooms-fixtures';
import type { RunningServer } from '../../../src/server';

describe('two replicas on one database', () => {
  let ctx: TestContext;
  let replica: RunningServer;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0 } });
    replica = await ctx.startReplica();
    await createRoom(ctx, 'busy');
  });
  afterAll(() => ctx?.close());

  /** The same identity talking to the replica instead of the first server. */
  const viaReplica = (seed: Uint8Array) => new SogsClient({ baseUrl: replica.url, serverPubkey: replica.serverKey.publicKey, seed });

  it('a post through one appears in the next since-poll through the other', async () => {
    const seed = new Uint8Array(32).fill(7);
    const a = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.server.serverKey.publicKey, seed });
    const b = viaReplica(new Uint8Array(32).fill(9));
    const m = await post(a, 'busy');
    const res = await b.get(`/room/busy/messages/since/${m.seqno - 1}?t=r&reactors=5`);
    expect(res.json<Array<{ id: number }>>().map((x) => x.id)).toEqual([m.id]);
    const reply = await post(b, 'busy');
    expect((await a.get(`/room/busy/messages/since/${m.seqno}`)).json<Array<{ id: number }>>().map((x) => x.id)).toEqual([reply.id]);
  });

  it('test_concurrent_seqnos: concurrent posts, edits and reactions through both keep seqnos unique and increasing', async () => {
    const seeds = Array.from({ length: 8 }, (_, i) => new Uint8Array(32).fill(20 + i));
    const clients = seeds.map((seed, i) => (i % 2 ? viaReplica(seed) : new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.server.serverKey.publicKey, seed })));
    const start = (await ctx.prisma.room.findFirstOrThrow({ where: { token: 'busy' } })).messageSequence;
    const seen: number[] = [];
    const work = clients.map(async (client, i) => {
      for (let round = 0; round < 6; round++) {
        const m = await post(client, 'busy');
        seen.push(m.seqno);
        const other = clients[(i + 1) % clients.length];
        const [edit, r1, r2] = await Promise.all([
          client.put(`/room/busy/message/${m.id}`, messageBody('edit')),
          other.put(`/room/busy/reaction/${m.id}/👍`, {}),
          client.put(`/room/busy/reaction/${m.id}/🔥`, {}),
        ]);
        expectStatus(edit, 200);
        for (const r of [r1, r2]) {
          expectStatus(r, 200);
          seen.push(r.json<{ seqno: number }>().seqno);
        }
      }
    });
    // A poller on each replica meanwhile must only ever see seqnos going up.
    let polling = true;
    const poll = async (client: SogsClient) => {
      let last = start;
      while (polling) {
        const rows = (await client.get(`/room/busy/messages/since/${last}?t=r&limit=256`)).json<Array<{ seqno: number }>>();
        for (const row of rows) {
          expect(row.seqno).toBeGreaterThan(last);
          last = row.seqno;
        }
      }
      return last;
    };
    const pollers = [poll(clients[0]), poll(clients[1])];
    await Promise.all(work);
    polling = false;
    await Promise.all(pollers);

    const ops = clients.length * 6 * 4; // post, edit, two reactions
    const room = await ctx.prisma.room.findFirstOrThrow({ where: { token: 'busy' } });
    expect(room.messageSequence).toBe(start + ops);
    const messages = await ctx.prisma.message.findMany({ where: { roomId: room.id, seqno: { gt: start } }, orderBy: { seqno: 'asc' } });
    expect(new Set(messages.map((m) => m.seqno)).size).toBe(messages.length);
    expect(messages.every((m) => m.seqno === Math.max(m.seqnoData, m.seqnoReactions) && m.seqnoCreation <= m.seqnoData)).toBe(true);
    // every post and every reaction reply got its own seqno
    expect(new Set(seen).size).toBe(seen.length);
    const finalPoll = (await clients[3].get(`/room/busy/messages/since/${start}?t=r&limit=256`)).json<Array<{ seqno: number }>>();
    expect(finalPoll.map((r) => r.seqno)).toEqual([...finalPoll.map((r) => r.seqno)].sort((x, y) => x - y));
    expect(finalPoll).toHaveLength(clients.length * 6);
  }, 120_000);
});
