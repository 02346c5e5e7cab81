// Issue 14 item 4: held posts (pre-moderation), asked as session-desktop asks (signed, onion-wrapped,
// its batch poll and body-less reaction PUTs): who sees what on every read path, and that approval
// and rejection (by reaction, by delete, by the CLI) reach every poller; decisions in the audit log.
import type { SogsClient } from '../../../src/client';
import { blind15Signer } from '../../../src/crypto';
import { dBodyless } from '../../conformance/desktop';
import { createTestContext, type TestContext } from '../../support/context';
import { desktopVerifySignature } from '../../support/desktop-session';
import { createRoom, expectStatus, grantRoom, post, sessionMessage, type PostedMessage } from '../../support/rooms-fixtures';
import { cli, cliOk, envFor } from '../cli/cli-helpers';
import { allText, idsOf, readAll } from './read-paths';

type Json = Record<string, unknown>;

describe('held posts (issue 14 item 4)', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // Nobody is a new user unless a room says so (the `new` mode's test does).
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, NEW_USER_POSTS: 0, NEW_USER_AGE: 0 } });
    env = envFor(ctx.config);
  });
  afterAll(() => ctx?.close());

  /** A post signed with the poster's blinded key, as desktop signs it (the data a stock client verifies). */
  const signedPost = (client: SogsClient, token: string, text: string): Promise<PostedMessage> => {
    const { data } = sessionMessage(text);
    const sign = blind15Signer(client.seed!, client.serverPubkey);
    const signature = Buffer.from(sign(Buffer.from(data, 'base64'))).toString('base64');
    return post(client, token, { data, signature });
  };
  const since = async (client: SogsClient, token: string, seqno: number) => {
    const res = await client.batch([{ method: 'GET', path: `/room/${token}/messages/since/${seqno}?t=r&reactors=5`, headers: { 'Content-Type': 'application/json' } }]);
    expect(res.items[0].code).toBe(200);
    return res.items[0].body as Json[];
  };
  const lastSeqno = async (client: SogsClient, token: string) => (await client.get(`/room/${token}`)).json<{ message_sequence: number }>().message_sequence;
  const react = (client: SogsClient, token: string, id: number, emoji: string) => dBodyless(client, 'PUT', `/room/${token}/reaction/${id}/${encodeURIComponent(emoji)}`);
  const heldMode = (token: string, mode: string, ...more: string[]) => cliOk(env, 'rooms', 'update', token, '--held', mode, ...more);
  const audit = async (token: string) => JSON.parse(await cliOk(env, 'audit', 'list', '--room', token, '--json')) as Json[];

  it('a held post: 201 as usual, seen by its author and moderators only; the approve emoji publishes it with a new seqno and its original data and signature', async () => {
    await createRoom(ctx, 'held1');
    await heldMode('held1', 'all');
    const [author, member, mod] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    await grantRoom(ctx, 'held1', mod, { admin: true });
    const open = await post(mod, 'held1', sessionMessage('moderators are never held'));
    const memberAt = await lastSeqno(member, 'held1');

    const held = await signedPost(author, 'held1', 'please hold me');
    expect(held).toMatchObject({ id: expect.any(Number), session_id: author.sessionId, reactions: {} });
    expect(held.seqno).toBeGreaterThan(open.seqno);
    expectStatus(await mod.post(`/room/held1/pin/${held.id}`, {}), 200);

    // Nothing of it reaches a member, on any read path, batch or not.
    const probe = { ids: [open.id, held.id], reactions: [[held.id, '✅'] as [number, string]] };
    const forMember = await readAll(member, 'held1', probe);
    expect(allText(forMember)).not.toContain(held.data);
    expect(allText(forMember)).not.toContain(author.sessionId!);
    for (const rows of [forMember.since, forMember.recent, forMember.before]) expect(idsOf(rows)).toEqual({ full: [open.id], deleted: [] });
    expect(forMember.single[held.id]).toBe(404);
    expect(forMember.reactors[`${held.id}:✅`]).toBe(404);
    expect(forMember.room.pinned_messages).toBeUndefined();
    expect((await react(member, 'held1', held.id, '👍')).code).toBe(404);
    // A member's ✅ is an ordinary reaction: only a moderator's on a held or reported message decides.
    expect((await react(member, 'held1', open.id, '✅')).json()).toMatchObject({ added: true });

    for (const who of [author, mod]) {
      const seen = await readAll(who, 'held1', probe);
      for (const rows of [seen.since, seen.recent, seen.before]) expect(idsOf(rows).full.sort()).toEqual([open.id, held.id].sort());
      expect(seen.single[held.id]).toMatchObject({ id: held.id, data: held.data });
    }
    const listed = JSON.parse(await cliOk(env, 'held', 'list', '--room', 'held1', '--json')) as Json[];
    expect(listed).toEqual([{ id: held.id, room: 'held1', session_id: author.sessionId, posted: held.posted, text: 'please hold me' }]);
    const infoBefore = (await member.get('/room/held1')).json<{ info_updates: number }>().info_updates;

    // The moderator approves from a stock client: a ✅ reaction, answered 2xx and never stored.
    const authorAt = await lastSeqno(author, 'held1');
    const approve = await react(mod, 'held1', held.id, '✅');
    expectStatus(approve, 200);
    expect(approve.json()).toMatchObject({ added: false });

    const published = (await since(member, 'held1', memberAt)).find((m) => m.id === held.id)!;
    expect(published).toMatchObject({ id: held.id, session_id: author.sessionId, posted: held.posted, data: held.data, signature: held.signature, reactions: {} });
    expect(published.seqno).toBeGreaterThan(authorAt);
    expect(desktopVerifySignature(published.session_id as string, published.data as string, published.signature as string)).toBe(true);
    // Every poller receives it again, the author too (desktop drops the duplicate by sender and time).
    expect((await since(author, 'held1', authorAt)).map((m) => m.id)).toContain(held.id);
    expect((await since(mod, 'held1', authorAt)).find((m) => m.id === held.id)).toMatchObject({ data: held.data, reactions: {} });
    expect((await mod.get(`/room/held1/reactors/${held.id}/${encodeURIComponent('✅')}`)).json()).toEqual([]);
    // Its pin now shows to everyone, with a new info_updates so pollInfo brings it.
    const room = (await member.get('/room/held1')).json<{ info_updates: number; pinned_messages?: Json[] }>();
    expect(room.info_updates).toBeGreaterThan(infoBefore);
    expect(room.pinned_messages).toEqual([expect.objectContaining({ id: held.id })]);

    expect(JSON.parse(await cliOk(env, 'held', 'list', '--json'))).not.toContainEqual(expect.objectContaining({ id: held.id }));
    const entries = await audit('held1');
    expect(entries).toContainEqual(expect.objectContaining({ actor: 'rule:held', action: 'held.hold', target: String(held.id) }));
    expect(entries).toContainEqual(expect.objectContaining({ actor: mod.sessionId, action: 'held.approve', target: String(held.id) }));
  });

  it('rejection by the reject emoji, by a delete, and decisions from the CLI: others never learn of a rejected post', async () => {
    await createRoom(ctx, 'held2');
    await heldMode('held2', 'all');
    const [author, member, mod] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    await grantRoom(ctx, 'held2', mod);
    await author.get('/capabilities');
    const memberAt = await lastSeqno(member, 'held2');
    const [byEmoji, byDelete, byCli, approvedByCli] = [
      await post(author, 'held2', sessionMessage('reject me by emoji')),
      await post(author, 'held2', sessionMessage('reject me by delete')),
      await post(author, 'held2', sessionMessage('reject me by cli')),
      await post(author, 'held2', sessionMessage('approve me by cli')),
    ];
    expect(await cliOk(env, 'held', 'list', '--room', 'held2')).toContain('reject me by emoji');
    const modAt = await lastSeqno(mod, 'held2');

    expect((await react(mod, 'held2', byEmoji.id, '❌')).json()).toMatchObject({ added: false });
    expectStatus(await dBodyless(mod, 'DELETE', `/room/held2/message/${byDelete.id}`), 200);
    expect(await cliOk(env, 'held', 'reject', String(byCli.id))).toContain(`Rejected message ${byCli.id} in held2`);
    expect(await cliOk(env, 'held', 'approve', String(approvedByCli.id))).toContain(`Approved message ${approvedByCli.id}`);

    const forMember = await since(member, 'held2', memberAt);
    expect(idsOf(forMember)).toEqual({ full: [approvedByCli.id], deleted: [] });
    expect(JSON.stringify(forMember)).not.toContain(byEmoji.data);
    // Author and moderators had them: they receive deletions.
    for (const who of [author, mod]) {
      const rows = await since(who, 'held2', modAt);
      expect(idsOf(rows).deleted.sort()).toEqual([byEmoji.id, byDelete.id, byCli.id].sort());
      expect(idsOf(rows).full).toEqual([approvedByCli.id]);
    }
    expect(JSON.parse(await cliOk(env, 'held', 'list', '--room', 'held2', '--json'))).toEqual([]);
    // Nothing left to decide: a clear refusal, and a ✅ on a published post is an ordinary reaction again.
    expect((await cli(env, 'held', 'approve', String(approvedByCli.id))).code).toBe(1);
    expect((await react(mod, 'held2', approvedByCli.id, '✅')).json()).toMatchObject({ added: true });

    const entries = await audit('held2');
    const decided = (action: string) => entries.filter((e) => e.action === action).map((e) => [e.actor, e.target]);
    expect(decided('held.reject').sort()).toEqual(
      [
        [mod.sessionId, String(byEmoji.id)],
        [mod.sessionId, String(byDelete.id)],
        ['cli', String(byCli.id)],
      ].sort(),
    );
    expect(decided('held.approve')).toEqual([['cli', String(approvedByCli.id)]]);
    expect(decided('message.delete')).toEqual([]);
  });

  it('held mode off (the default) holds nothing', async () => {
    await createRoom(ctx, 'held3');
    const [author, member] = [ctx.newUser(), ctx.newUser()];
    const m = await post(author, 'held3');
    expect(idsOf((await member.get('/room/held3/messages/recent')).json<Json[]>()).full).toEqual([m.id]);
    expect(JSON.parse(await cliOk(env, 'rooms', 'update', 'held3', '--report-threshold', '5', '--json'))).toMatchObject({
      own: { reportThreshold: 5 },
      effective: { heldMode: 'off', reportThreshold: 5, approveEmoji: '✅', rejectEmoji: '❌', reportEmoji: '🚩' },
    });
    expect((await cli(env, 'rooms', 'update', 'held3', '--held', 'sometimes')).code).toBe(2);
  });

  it("mode new holds restricted new users' posts until they are no longer new; mode untrusted holds all but trusted users; the room's own emoji decide", async () => {
    await createRoom(ctx, 'held5');
    expect(await heldMode('held5', 'new', '--new-user-posts', '1', '--approve-emoji', '👌')).toContain('held posts: new');
    const [fresh, trusted, member, mod] = [ctx.newUser(), ctx.newUser(), ctx.newUser(), ctx.newUser()];
    await grantRoom(ctx, 'held5', mod);
    for (const u of [fresh, trusted]) await u.get('/capabilities');
    await cliOk(env, 'trust', 'add', trusted.sessionId!, '--room', 'held5');
    const first = await post(fresh, 'held5');
    const byTrusted = await post(trusted, 'held5');
    const visible = async () => idsOf((await member.get('/room/held5/messages/recent')).json<Json[]>()).full;
    expect(await visible()).toEqual([byTrusted.id]);
    // ✅ is no longer this room's approve emoji: an ordinary reaction; 👌 decides.
    expect((await react(mod, 'held5', first.id, '✅')).json()).toMatchObject({ added: true });
    expect((await react(mod, 'held5', first.id, '👌')).json()).toMatchObject({ added: false });
    // One accepted post: no longer a new user here.
    const second = await post(fresh, 'held5');
    expect((await visible()).sort()).toEqual([first.id, byTrusted.id, second.id].sort());

    await heldMode('held5', 'untrusted');
    const [third, byTrusted2] = [await post(fresh, 'held5'), await post(trusted, 'held5')];
    expect(await visible()).toContain(byTrusted2.id);
    expect(await visible()).not.toContain(third.id);
    expect(JSON.parse(await cliOk(env, 'held', 'list', '--room', 'held5', '--json'))).toEqual([expect.objectContaining({ id: third.id })]);
  });
});
