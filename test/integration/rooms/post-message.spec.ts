// POST /room/:token/message as one statement (issue 7): the 201 body is built from what was
// stored, copies racing on two replicas store one message, and a post that stores nothing (a
// repeat, an unknown whisper recipient) uses up neither a seqno nor a rate-limit place (protocol §6.3,
// §7.1, §9.2, §9.3).
import { SogsClient } from '../../../src/client';
import { RoomsRepository } from '../../../src/rooms/rooms.repository';
import type { RunningServer } from '../../../src/server';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus, grantRoom, messageBody, post, sessionMessage, userOf } from '../../support/rooms-fixtures';

const LIMIT = 3;

describe('posting a message in one statement', () => {
  let ctx: TestContext;
  let replica: RunningServer;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: LIMIT, PROFANITY_FILTER: true } });
    replica = await ctx.startReplica();
  });
  afterAll(() => ctx?.close());

  let n = 0;
  async function room(): Promise<string> {
    const token = `post-${++n}`;
    await createRoom(ctx, token);
    return token;
  }
  const sequence = async (token: string) => (await ctx.prisma.room.findFirstOrThrow({ where: { token } })).messageSequence;
  /** One identity as a client of the first server and of the replica. */
  function identity(): [SogsClient, SogsClient] {
    const seed = new Uint8Array(ctx.newUser().seed!);
    return [ctx.url, replica.url].map((baseUrl) => new SogsClient({ baseUrl, serverPubkey: ctx.server.serverKey.publicKey, seed })) as [SogsClient, SogsClient];
  }

  it('the 201 body is the stored message: plain, whispered to a user or to mods, silently filtered', async () => {
    const token = await room();
    const [user, mod] = [ctx.newUser(), ctx.newUser()];
    await grantRoom(ctx, token, mod);
    const plain = await post(user, token);
    expect(plain).not.toHaveProperty('filtered');
    expect(plain).toEqual((await user.get(`/room/${token}/message/${plain.id}`)).json());
    const toUser = await post(mod, token, { whisper_to: user.sessionId!.toUpperCase() });
    expect(toUser).toMatchObject({ whisper: true, whisper_mods: false, whisper_to: user.sessionId });
    expect(toUser).toEqual((await mod.get(`/room/${token}/message/${toUser.id}`)).json());
    const both = await post(mod, token, { whisper_to: user.sessionId, whisper_mods: true });
    expect(both).toEqual((await mod.get(`/room/${token}/message/${both.id}`)).json());
    expect(both.seqno).toBe(toUser.seqno + 1);

    const body = sessionMessage('you bitch');
    const filtered = await post(user, token, body);
    const row = await ctx.prisma.message.findUniqueOrThrow({ where: { id: filtered.id } });
    expect(row.filtered).toBe(true);
    expect(filtered).toEqual({
      id: row.id,
      session_id: user.sessionId,
      posted: row.posted,
      seqno: row.seqno,
      data: body.data,
      signature: body.signature,
      reactions: {},
      filtered: true,
    });
    expect(row).toMatchObject({ seqnoData: row.seqno, seqnoCreation: row.seqno, seqnoReactions: 0, dataSize: Buffer.from(body.data, 'base64').length });
    expect(await sequence(token)).toBe(filtered.seqno);
  });

  it('copies of one post racing through two replicas store one message, use one seqno and one rate-limit place', async () => {
    const token = await room();
    const [viaFirst, viaReplica] = identity();
    const before = await sequence(token);
    const body = messageBody();
    const replies = await Promise.all(Array.from({ length: LIMIT }, (_, i) => (i % 2 ? viaReplica : viaFirst).post(`/room/${token}/message`, body)));
    for (const res of replies) expectStatus(res, 201);
    const [first, ...others] = replies.map((res) => res.json());
    for (const other of others) expect(other).toEqual(first);
    expect(await ctx.prisma.message.count({ where: { signature: Buffer.from(body.signature, 'base64') } })).toBe(1);
    expect(await sequence(token)).toBe(before + 1);
    // the repeats gave their places back: LIMIT - 1 more posts pass, then 429
    for (let i = 1; i < LIMIT; i++) await post(i % 2 ? viaReplica : viaFirst, token);
    expectStatus(await viaFirst.post(`/room/${token}/message`, messageBody()), 429);
  });

  it('a repeat answers with the original, also once rate limited, and uses no seqno', async () => {
    const token = await room();
    const user = ctx.newUser();
    const body = messageBody();
    const original = await post(user, token, body);
    for (let i = 1; i < LIMIT; i++) await post(user, token);
    const seqno = await sequence(token);
    expectStatus(await user.post(`/room/${token}/message`, messageBody()), 429);
    expect(await post(user, token, body)).toEqual(original);
    // the earlier message as it is now: a reaction moved its seqno
    const mod = ctx.newUser();
    await grantRoom(ctx, token, mod, { admin: true });
    expectStatus(await mod.put(`/room/${token}/reaction/${original.id}/👍`, {}), 200);
    expect(await post(user, token, body)).toEqual({ ...original, seqno: seqno + 1 });
    expect(await sequence(token)).toBe(seqno + 1);
  });

  it('a whisper to an unknown session id is 404 and uses neither a seqno nor a rate-limit place', async () => {
    const token = await room();
    const mod = ctx.newUser();
    await grantRoom(ctx, token, mod); // moderators are rate limited, admins are not
    const nobody = '15' + 'ab'.repeat(32);
    for (let i = 0; i < LIMIT; i++) expectStatus(await mod.post(`/room/${token}/message`, { ...messageBody(), whisper_to: nobody }), 404);
    expect(await sequence(token)).toBe(0);
    for (let i = 0; i < LIMIT; i++) await post(mod, token);
    // rate limited now, the missing recipient still comes first
    const res = await mod.post(`/room/${token}/message`, { ...messageBody(), whisper_to: nobody });
    expectStatus(res, 404);
    expect(res.text()).toBe('No such whisper recipient');
    expect(await sequence(token)).toBe(LIMIT);
  });

  it('attaches the files of a new post with the long expiry, none of a repeat (protocol §9.3)', async () => {
    const token = await room();
    const user = ctx.newUser();
    const r = await ctx.prisma.room.findFirstOrThrow({ where: { token } });
    const u = await userOf(ctx, user);
    const object = await ctx.prisma.storageObject.create({ data: { key: `k-${token}`, size: 1, keyId: 'k', wrappedKey: Buffer.alloc(1), refs: 2 } });
    const now = Date.now() / 1000;
    const file = () => ctx.prisma.file.create({ data: { roomId: r.id, uploaderId: u.id, size: 1, uploaded: now, expiry: now + 3600, objectKey: object.key } });
    const [f1, f2] = [await file(), await file()];
    const body = messageBody();
    const m = await post(user, token, { ...body, files: [f1.id] });
    const attached = await ctx.prisma.file.findUniqueOrThrow({ where: { id: f1.id } });
    expect(attached.messageId).toBe(m.id);
    expect(attached.expiry).toBe(m.posted + ctx.config.FILE_EXPIRY);
    expect((await post(user, token, { ...body, files: [f2.id] })).id).toBe(m.id);
    expect(await ctx.prisma.file.findUniqueOrThrow({ where: { id: f2.id } })).toMatchObject({ messageId: null, expiry: now + 3600 });
  });

  it('without an idempotency window the same signature posts again', async () => {
    const token = await room();
    const windowless = await ctx.startReplica({ POST_IDEMPOTENCY_WINDOW: 0 });
    const user = new SogsClient({ baseUrl: windowless.url, serverPubkey: windowless.serverKey.publicKey, seed: new Uint8Array(ctx.newUser().seed!) });
    const body = messageBody();
    const [a, b] = [await post(user, token, body), await post(user, token, body)];
    expect(b.id).not.toBe(a.id);
    expect(b.seqno).toBe(a.seqno + 1);
  });

  it('a room deleted meanwhile stores nothing', async () => {
    const repo = ctx.server.app.get(RoomsRepository, { strict: false });
    const u = await userOf(ctx, ctx.newUser());
    const outcome = await repo.postMessage({
      roomId: 2_000_000_000,
      userId: u.id,
      signedAs: u.sessionId,
      posted: Date.now() / 1000,
      data: new Uint8Array(8),
      signature: new Uint8Array(64),
      filtered: false,
      whisperTo: null,
      whisperMods: false,
      repeatSince: null,
      files: { ids: [], uploadedSince: 0, expiry: null },
      hidden: null,
    });
    expect(outcome).toEqual({ outcome: 'no_room', id: null, seqno: null });
  });
});
