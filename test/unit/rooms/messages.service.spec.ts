// MessagesService without a database: the seqnos it assigns when posting, editing, deleting and
// reacting (protocol §7.1), and what it decides around scs_post_message (whispers, repeats, the
// post rate limit, file attachment). RoomsRepository and FilesRepository are FakeRoomsRepository.
import { ForbiddenException, HttpException, NotFoundException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ChangeFeed } from '../../../src/cache/change-feed';
import type { AppConfig } from '../../../src/config/config';
import type { FilesRepository } from '../../../src/files/files.repository';
import { RoomFiles } from '../../../src/files/room-files';
import type { Room } from '../../../src/generated/prisma/client';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { RateLimiter } from '../../../src/rate-limit/rate-limiter';
import type { RateLimitStore } from '../../../src/rate-limit/rate-limit.store';
import { SinceResults } from '../../../src/rooms/since-results';
import { MessagesService, type NewMessage } from '../../../src/rooms/messages.service';
import type { RoomPermissions } from '../../../src/rooms/permissions';
import { MessageRemoval } from '../../../src/rooms/message-removal';
import { PostRules } from '../../../src/rooms/post-rules';
import { StandingService } from '../../../src/moderation/standing.service';
import type { StandingRepository } from '../../../src/moderation/standing.repository';
import type { ReviewRepository } from '../../../src/rooms/review.repository';
import { ReviewService } from '../../../src/rooms/review.service';
import { RoomLimits } from '../../../src/rooms/room-limits';
import type { RoomsRepository } from '../../../src/rooms/rooms.repository';
import { RoomsService } from '../../../src/rooms/rooms.service';
import type { AuthenticatedUser } from '../../../src/users/authenticated-user';
import { sessionMessage } from '../../support/rooms-fixtures';
import { asFake, fakeAudit, FixedClock, MemoryRateLimitStore, noPlugins, roomRow, unitConfig } from '../support/fakes';
import { FakeRoomsRepository } from './fake-rooms-repository';

const ROOM: Room = roomRow({ id: 7, token: 'lobby', name: 'Lobby', messageSequence: 10 });

const member: RoomPermissions = {
  banned: false,
  shadowBanned: false,
  trusted: false,
  mute: null,
  read: true,
  accessible: true,
  write: true,
  upload: true,
  moderator: false,
  admin: false,
  globalModerator: false,
  globalAdmin: false,
  lockdown: null,
};
const moderator: RoomPermissions = { ...member, moderator: true };
const admin: RoomPermissions = { ...moderator, admin: true };

function user(id: number): AuthenticatedUser {
  return {
    id,
    sessionId: `15${String(id).padStart(64, '0')}`,
    banned: false,
    moderator: false,
    admin: false,
    visibleMod: false,
    shadowBanned: false,
    trusted: false,
    mutedUntil: null,
    muteReason: null,
  };
}
const alice = user(1);
const bob = user(2);

/** A post of `text`; the same text gives the same signature (a repeat). */
function message(text: string, extra: Partial<NewMessage> = {}): NewMessage {
  return { data: Buffer.from(text), signature: createHash('sha512').update(text).digest(), whisperTo: null, whisperMods: false, files: [], ...extra };
}

function setup(config: Partial<AppConfig> = {}) {
  const cfg = unitConfig({ RATE_LIMIT_POSTS: 2, RATE_LIMIT_WINDOW: 16, ...config });
  const repo = new FakeRoomsRepository();
  repo.addRoom(ROOM.id, ROOM.messageSequence);
  for (const u of [alice, bob]) repo.addUser(u.id, u.sessionId);
  const clock = new FixedClock();
  const feed = asFake<ChangeFeed>({ live: false, epoch: 0, subscribe: () => undefined });
  const files = new RoomFiles(asFake<FilesRepository>(repo));
  const { audit, log } = fakeAudit(clock, cfg);
  const rooms = new RoomsService(asFake<RoomsRepository>(repo), cfg, feed, clock, files, audit, noPlugins(clock, cfg), new MetricsService());
  const store = new MemoryRateLimitStore();
  const limiter = new RateLimiter(cfg, asFake<RateLimitStore>(store), new MetricsService(), audit);
  const removal = new MessageRemoval(asFake<RoomsRepository>(repo), rooms, files, clock);
  // No reports in these tests (test/integration/moderation/reports.spec.ts has them).
  const reviewRepo = asFake<ReviewRepository>({ openReports: () => Promise.resolve({ all: 0, counted: 0 }) });
  // Every author is a new member (standing's own rules: test/unit/moderation/standing.service.spec.ts); `lookups` counts the queries.
  const lookups: number[] = [];
  const newUserFacts = (_roomId: number, userId: number) => {
    lookups.push(userId);
    return Promise.resolve({ accepted: 0, firstSeen: null });
  };
  const standing = new StandingService(asFake<StandingRepository>({ newUserFacts }), cfg, clock);
  // Held mode is off in ROOM; test/integration/moderation/held-posts.spec.ts has the modes.
  const review = new ReviewService(reviewRepo, asFake<RoomsRepository>(repo), removal, audit, clock, cfg, standing);
  const rules = new PostRules(cfg, new MetricsService(), audit);
  const service = new MessagesService(
    asFake<RoomsRepository>(repo),
    rooms,
    rules,
    new RoomLimits(rules, limiter),
    cfg,
    clock,
    files,
    audit,
    removal,
    review,
    noPlugins(clock, cfg),
    new SinceResults(cfg, feed, clock),
    standing,
  );
  return { service, repo, clock, store, cfg, log, lookups };
}

describe('MessagesService: posting around scs_post_message', () => {
  it('answers the stored message with the seqno the statement assigned, posted now, files attachable since the upload expiry', async () => {
    const { service, repo, clock, cfg } = setup();
    const posted = await service.post(ROOM, member, alice, message('hello', { files: [5, 6] }));
    const at = clock.seconds();
    expect(posted).toMatchObject({ seqno: 11, posted: at, session_id: alice.sessionId, data: Buffer.from('hello').toString('base64') });
    expect(posted).not.toHaveProperty('filtered');
    expect(repo.sequenceOf(ROOM.id)).toBe(11);
    expect(repo.posts).toEqual([
      expect.objectContaining({
        roomId: ROOM.id,
        userId: alice.id,
        posted: at,
        repeatSince: at - cfg.POST_IDEMPOTENCY_WINDOW,
        files: { ids: [5, 6], uploadedSince: at - cfg.FILE_UPLOAD_EXPIRY, expiry: at + cfg.FILE_EXPIRY },
      }),
    ]);
  });

  it('files of a post keep no expiry when FILE_EXPIRY is 0; no repeat window when POST_IDEMPOTENCY_WINDOW is 0', async () => {
    const { service, repo } = setup({ FILE_EXPIRY: 0, POST_IDEMPOTENCY_WINDOW: 0 });
    const first = await service.post(ROOM, member, alice, message('same'));
    const second = await service.post(ROOM, member, alice, message('same'));
    expect([first.seqno, second.seqno]).toEqual([11, 12]);
    expect(repo.posts.map((p) => [p.repeatSince, p.files.expiry])).toEqual([
      [null, null],
      [null, null],
    ]);
  });

  it('a repeat inside the window answers the original, takes no seqno and gives its rate-limit place back', async () => {
    const { service, repo, store } = setup({ QUOTA_POSTS_PER_DAY: 5000 });
    const first = await service.post(ROOM, member, alice, message('again'));
    const repeat = await service.post(ROOM, member, alice, message('again'));
    expect(repeat).toEqual(first);
    expect(repo.sequenceOf(ROOM.id)).toBe(11);
    // Both windows a post takes (the room's post rate, the posts of a day) get their place back.
    expect(store.refunded.map((p) => p.key).sort()).toEqual([`post:${ROOM.id}:${alice.id}`, `posts-day:${alice.id}`]);
    expect(store.used.get(`post:${ROOM.id}:${alice.id}`)).toBe(1);
  });

  it('whispers: only moderators; the recipient is matched in lower case; an unknown one is a 404 that uses nothing', async () => {
    const { service, repo, store } = setup();
    await expect(service.post(ROOM, member, alice, message('psst', { whisperTo: bob.sessionId }))).rejects.toThrow(ForbiddenException);
    await expect(service.post(ROOM, member, alice, message('psst', { whisperMods: true }))).rejects.toThrow(ForbiddenException);
    expect(repo.posts).toEqual([]);

    const whisper = await service.post(ROOM, moderator, alice, message('psst', { whisperTo: bob.sessionId.toUpperCase() }));
    expect(whisper).toMatchObject({ seqno: 11, whisper: true, whisper_to: bob.sessionId });
    await expect(service.post(ROOM, moderator, alice, message('lost', { whisperTo: `15${'f'.repeat(64)}` }))).rejects.toThrow(NotFoundException);
    expect(repo.sequenceOf(ROOM.id)).toBe(11);
    expect(store.used.get(`post:${ROOM.id}:${alice.id}`)).toBe(1);
  });

  it('past the post limit: 429, but a repeat still gets its original and an unknown recipient its 404; admins are not limited', async () => {
    const { service, repo } = setup({ RATE_LIMIT_POSTS: 1 });
    const first = await service.post(ROOM, moderator, alice, message('one'));
    const refused = service.post(ROOM, moderator, alice, message('two'));
    await expect(refused).rejects.toThrow(HttpException);
    await expect(refused).rejects.toMatchObject({ status: 429 });
    expect(await service.post(ROOM, moderator, alice, message('one'))).toEqual(first);
    await expect(service.post(ROOM, moderator, alice, message('three', { whisperTo: `15${'f'.repeat(64)}` }))).rejects.toThrow(NotFoundException);
    expect(repo.sequenceOf(ROOM.id)).toBe(11);

    for (const text of ['a', 'bb', 'ccc']) await service.post(ROOM, admin, bob, message(text));
    expect(repo.sequenceOf(ROOM.id)).toBe(14);
  });

  it('a silently filtered post is stored (its seqno used) and answered with filtered: true', async () => {
    const { service, repo } = setup({ PROFANITY_FILTER: true, PROFANITY_SILENT: true });
    const content = Buffer.concat([Buffer.from([0x0a, 11, 0x0a, 9]), Buffer.from('you bitch'), Buffer.from([0x80])]);
    const posted = await service.post(ROOM, member, alice, { ...message('x'), data: content });
    expect(posted).toMatchObject({ seqno: 11, filtered: true });
    expect(repo.posts[0].filtered).toBe(true);
  });

  it("a content rule with action hold stores the post hidden as 'held', answered as any other; a shadow ban still wins", async () => {
    const { service, repo } = setup({ CONTENT_WORDS: 'raid', CONTENT_WORDS_ACTION: 'hold' });
    const content = (text: string) => Buffer.concat([Buffer.from([0x0a, text.length + 2, 0x0a, text.length]), Buffer.from(text), Buffer.from([0x80])]);
    const posted = await service.post(ROOM, member, alice, { ...message('x'), data: content('a raid') });
    expect(posted).not.toHaveProperty('filtered');
    expect(repo.posts[0]).toMatchObject({ filtered: false, hidden: 'held' });
    await service.post(ROOM, { ...member, shadowBanned: true }, bob, { ...message('y'), data: content('raid!') });
    expect(repo.posts[1]).toMatchObject({ filtered: false, hidden: 'shadow' });
    await service.post(ROOM, member, bob, { ...message('z'), data: content('calm') });
    expect(repo.posts[2]).toMatchObject({ filtered: false, hidden: null });
  });

  it("asks the poster's standing at most once a post, and only when a rule needs it (a content rule, then the held mode)", async () => {
    const { service, repo, lookups } = setup();
    const held = { ...ROOM, heldMode: 'new', policy: { links: 'hold' } };
    const link = (text: string) => ({ ...message(text), data: Buffer.from(sessionMessage(text).data, 'base64') });
    await service.post(held, member, alice, link('see https://example.org'));
    expect(lookups).toEqual([alice.id]);
    await service.post(held, member, bob, link('no link here'));
    expect(lookups).toEqual([alice.id, bob.id]);
    await service.post(ROOM, member, alice, link('see https://example.org'));
    expect(lookups).toHaveLength(2);
    expect(repo.posts.map((p) => p.hidden)).toEqual(['held', 'held', null]);
  });
});

describe('MessagesService: seqnos of edits, deletions and reactions', () => {
  it('an edit takes the next seqno, keeps posted and sets edited; only the author may, and a refusal uses no seqno', async () => {
    const { service, repo, clock } = setup();
    const m = repo.addMessage(ROOM.id, alice.id, { posted: 500 });
    expect(m.seqno).toBe(11);
    await expect(service.edit(ROOM, bob, m.id, { ...message('mine now'), files: [] })).rejects.toThrow(ForbiddenException);
    expect(repo.sequenceOf(ROOM.id)).toBe(11);

    clock.advance(5000);
    await service.edit(ROOM, alice, m.id, { ...message('fixed'), files: [9] });
    expect(repo.row(m.id)).toMatchObject({ seqno: 12, seqnoData: 12, posted: 500, edited: clock.seconds(), data: Buffer.from('fixed') });
    expect(repo.attached).toEqual([{ messageId: m.id, files: expect.objectContaining({ ids: [9] }) }]);
  });

  it('a deleted message cannot be edited or deleted again (404), and neither uses a seqno', async () => {
    const { service, repo } = setup();
    const m = repo.addMessage(ROOM.id, alice.id);
    await service.remove(ROOM, member, alice, m.id);
    const seq = repo.sequenceOf(ROOM.id);
    await expect(service.edit(ROOM, alice, m.id, message('back'))).rejects.toThrow(NotFoundException);
    await expect(service.remove(ROOM, member, alice, m.id)).rejects.toThrow(NotFoundException);
    expect(repo.sequenceOf(ROOM.id)).toBe(seq);
  });

  it('deleting takes one seqno plus one per removed user-reaction; reactions end one below the tombstone', async () => {
    const { service, repo, clock } = setup();
    const m = repo.addMessage(ROOM.id, alice.id); // seqno 11
    repo.react(m.id, '👍', alice.id, bob.id);
    repo.react(m.id, '🎉', bob.id);
    repo.pinMessage(ROOM.id, m.id);

    await expect(service.remove(ROOM, member, bob, m.id)).rejects.toThrow(ForbiddenException);
    expect(repo.sequenceOf(ROOM.id)).toBe(11);
    expect(repo.reactionCount(m.id)).toBe(3);

    await service.remove(ROOM, moderator, bob, m.id);
    // 12 for the deletion, 13–15 for the three user-reactions; the tombstone carries the last.
    expect(repo.sequenceOf(ROOM.id)).toBe(15);
    expect(repo.row(m.id)).toMatchObject({ data: null, signature: null, seqno: 15, seqnoData: 15, seqnoReactions: 14 });
    expect(repo.reactionCount(m.id)).toBe(0);
    expect(repo.pinsOf(ROOM.id)).toEqual([]);
    expect(repo.infoUpdatesOf(ROOM.id)).toBe(1);
    expect(repo.fileExpiries.at(-1)).toEqual({ messageIds: [m.id], mode: { at: clock.seconds() } });
  });

  it("deleting all of a user's messages: one seqno per message plus its reactions; none to delete is a 404 using no seqno", async () => {
    const { service, repo, clock } = setup();
    const [m1, m2] = [repo.addMessage(ROOM.id, bob.id), repo.addMessage(ROOM.id, bob.id)]; // 11, 12
    const other = repo.addMessage(ROOM.id, alice.id); // 13
    repo.react(m2.id, '👍', alice.id, bob.id);

    expect(await service.deleteAllInRoom(ROOM, moderator, alice, bob.sessionId)).toBe(2);
    expect(repo.row(m1.id)).toMatchObject({ data: null, seqno: 14 });
    expect(repo.row(m2.id)).toMatchObject({ data: null, seqno: 17, seqnoReactions: 16 });
    expect(repo.row(other.id).data).not.toBeNull();
    expect(repo.expiredUploads).toEqual([{ roomId: ROOM.id, userId: bob.id, at: clock.seconds() }]);

    await expect(service.deleteAllInRoom(ROOM, moderator, alice, bob.sessionId)).rejects.toThrow(NotFoundException);
    expect(repo.sequenceOf(ROOM.id)).toBe(17);
    await expect(service.deleteAllInRoom(ROOM, member, bob, alice.sessionId)).rejects.toThrow(ForbiddenException);
  });

  it("a moderator may not delete all of an admin's messages; an admin may", async () => {
    const { service, repo } = setup();
    repo.overrides.set(`${ROOM.id}:${bob.id}`, {
      roomId: ROOM.id,
      userId: bob.id,
      banned: false,
      read: null,
      accessible: null,
      write: null,
      upload: null,
      moderator: true,
      admin: true,
      visibleMod: true,
      shadowBanned: false,
      trusted: false,
      mutedUntil: null,
      muteReason: null,
    });
    repo.addMessage(ROOM.id, bob.id);
    await expect(service.deleteAllInRoom(ROOM, moderator, alice, bob.sessionId)).rejects.toThrow("Only admins can delete an admin's messages");
    expect(await service.deleteAllInRoom(ROOM, admin, alice, bob.sessionId)).toBe(1);
  });

  it("reactions: an add takes one seqno; adding it again changes nothing and answers the message's seqno", async () => {
    const { service, repo, store } = setup();
    const m = repo.addMessage(ROOM.id, alice.id); // 11
    expect(await service.addReaction(ROOM, member, bob, m.id, '👍')).toEqual({ added: true, seqno: 12 });
    expect(repo.row(m.id)).toMatchObject({ seqno: 12, seqnoData: 11, seqnoReactions: 12 });
    expect(await service.addReaction(ROOM, member, bob, m.id, '👍')).toEqual({ added: false, seqno: 12 });
    expect(repo.sequenceOf(ROOM.id)).toBe(12);
    expect(store.refunded).toHaveLength(1);
    expect(await service.removeReaction(ROOM, member, alice, m.id, '👍')).toEqual({ removed: false, seqno: 12 });
    expect(await service.removeReaction(ROOM, member, bob, m.id, '👍')).toEqual({ removed: true, seqno: 13 });
  });

  it('a moderator clear takes one seqno per removed user-reaction', async () => {
    const { service, repo } = setup();
    const m = repo.addMessage(ROOM.id, alice.id); // 11
    repo.react(m.id, '👍', alice.id, bob.id, 3);
    repo.react(m.id, '🎉', bob.id);
    expect(await service.clearReactions(ROOM, m.id, '👍')).toEqual({ removed: 3, seqno: 14 });
    expect(await service.clearReactions(ROOM, m.id, '👍')).toEqual({ removed: 0, seqno: 14 });
    expect(await service.clearReactions(ROOM, m.id, undefined)).toEqual({ removed: 1, seqno: 15 });
    expect(repo.row(m.id).seqnoReactions).toBe(15);
  });

  it('REACTIONS_MAX_DISTINCT_PER_MESSAGE: a new reaction past the limit is a 409; one already there is not', async () => {
    const { service, repo } = setup({ REACTIONS_MAX_DISTINCT_PER_MESSAGE: 2, REACTION_RATE_LIMIT: 0 });
    const m = repo.addMessage(ROOM.id, alice.id);
    repo.react(m.id, '👍', alice.id);
    repo.react(m.id, '🎉', alice.id);
    await expect(service.addReaction(ROOM, member, bob, m.id, '🚀')).rejects.toMatchObject({ status: 409 });
    expect(repo.sequenceOf(ROOM.id)).toBe(11);
    expect(await service.addReaction(ROOM, member, bob, m.id, '🎉')).toEqual({ added: true, seqno: 12 });
  });
});
