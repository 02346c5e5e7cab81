import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Clock } from '../core/clock';
import { withinReplyBytes } from '../core/reply-budget';
import type { Room } from '../generated/prisma/client';
import { buildReactions, messageJson, sinceRowJson, type MessageJson, type ReactionsBlock } from './message-view';
import type { RoomPermissions } from './permissions';
import type { RatePlace } from '../rate-limit/rate-limiter';
import { RoomLimits } from './room-limits';
import { PostRules } from './post-rules';
import type { FilesToAttach } from '../files/files.repository';
import { RoomFiles } from '../files/room-files';
import { MessageRemoval } from './message-removal';
import { ReviewService } from './review.service';
import { RoomsRepository, type MessageRow, type SinceRead, type Tx, type Viewer } from './rooms.repository';
import { SinceResults, type SinceQuery } from './since-results';
import { RoomsService } from './rooms.service';
import { storedPost, type PostDecision } from './post-decision';
import { canSeeMessage, sharedViewerOf, sinceShape, viewerClassOf, viewerOf } from './visibility';
import { AuditService } from '../audit/audit.service';
import { actorOf } from '../audit/audit-actor';
import { PluginHooks } from '../plugins/plugin-hooks.service';
import { StandingService } from '../moderation/standing.service';

export interface NewMessage {
  data: Uint8Array;
  signature: Uint8Array;
  whisperTo: string | null;
  whisperMods: boolean;
  files: number[];
}

export interface MessageEdit {
  data: Uint8Array;
  signature: Uint8Array;
  files: number[];
}

export interface ListOptions {
  limit: number;
  reactors: number;
}

/** Thrown inside a transaction to roll it back when the request changes nothing (no seqno is used up). */
class NoChange extends Error {
  /** The message's seqno, when the change read it already (else it is read after the rollback). */
  constructor(readonly messageSeqno?: number) {
    super();
  }
}
/** The 201 body of a post (protocol §6.3): `filtered` only for silently filtered posts. */
export type PostedJson = MessageJson & { filtered?: true };

const NO_RECIPIENT = 'No such whisper recipient';
/** The encoded empty list (read only: replies are copied into the response). */
const EMPTY_LIST = Buffer.from('[]');

/** A message the viewer may no longer see, as the deletion they learn it as (src/rooms/visibility.ts). */
function asTombstone(m: MessageRow): MessageRow {
  return { ...m, data: null, signature: null, edited: null };
}

/**
 * Messages and reactions of a room (protocol §6.3, §6.4, §7). Every change to message_sequence and
 * the message seqnos runs in one transaction that starts by locking the room row (by advancing the
 * room's counter; a post's single statement locks it before its checks): writers of one room
 * serialise on it across replicas, and a change that turns out to be none uses up no seqno.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly repo: RoomsRepository,
    private readonly rooms: RoomsService,
    private readonly rules: PostRules,
    private readonly limits: RoomLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly files: RoomFiles,
    private readonly audit: AuditService,
    private readonly removal: MessageRemoval,
    private readonly review: ReviewService,
    private readonly plugins: PluginHooks,
    private readonly sinceResults: SinceResults,
    private readonly standing: StandingService,
  ) {}

  // ---- reads

  /**
   * GET …/messages/since/:seqno (protocol §7.2), as the encoded JSON reply. Viewers with nothing
   * personal in the range share one reply per class (SinceResults, visibility.ts sharedViewerOf);
   * the others, and every viewer when sharing is off, get their own.
   */
  async since(room: Room, permissions: RoomPermissions, user: AuthenticatedUser | null, after: number, withReactions: boolean, opts: ListOptions): Promise<Buffer> {
    // Every seqno is at most the room's message_sequence (protocol §7.1), read with the room by the
    // permission guard: a client already there gets [] without a query (the idle poll, issue 7).
    if (after >= room.messageSequence) {
      await this.rooms.recordActivity(room, user);
      return EMPTY_LIST;
    }
    const viewer = viewerOf(user, permissions);
    const [body] = await Promise.all([this.sinceReply(room, viewer, { after, withReactions, limit: opts.limit, reactors: opts.reactors }), this.rooms.recordActivity(room, user)]);
    return body;
  }

  private async sinceReply(room: Room, viewer: Viewer, q: SinceQuery): Promise<Buffer> {
    const c = viewerClassOf(viewer);
    const shared = this.sinceResults.get(room, c, q, async () => {
      const read = await this.repo.since(room.id, q.after, q.withReactions, q.limit, q.reactors, sharedViewerOf(c), true);
      return { body: this.sinceJson(read, sharedViewerOf(c), q), personal: new Set(read.personal) };
    });
    if (shared) {
      const { body, personal } = await shared;
      if (viewer.userId === null || !personal.has(viewer.userId)) return body;
    }
    return this.sinceJson(await this.repo.since(room.id, q.after, q.withReactions, q.limit, q.reactors, viewer, false), viewer, q);
  }

  /** A `since` read as the viewer's encoded reply: tombstones where the viewer sees no more than one, and no reactions on them. */
  private sinceJson(read: SinceRead, viewer: Viewer, q: SinceQuery): Buffer {
    if (read.rows.length === 0) return EMPTY_LIST;
    const rows = read.rows.map((m) => (sinceShape(m, viewer, q.after) === 'full' ? m : asTombstone(m)));
    const reactions = buildReactions(read.reactions, q.reactors);
    const json = withinReplyBytes(
      rows.map((m) => sinceRowJson(m, q.after, m.data === null ? undefined : reactions.get(m.id))),
      this.config.REPLY_MAX_BYTES,
    );
    return Buffer.from(JSON.stringify(json));
  }

  /** GET …/messages/recent and …/messages/before/:id: newest first, no tombstones. */
  async recent(room: Room, permissions: RoomPermissions, user: AuthenticatedUser | null, beforeId: number | null, opts: ListOptions): Promise<MessageJson[]> {
    const viewer = viewerOf(user, permissions);
    const [rows] = await Promise.all([this.repo.recent(room.id, beforeId, opts.limit, viewer), this.rooms.recordActivity(room, user)]);
    const reactions = await this.reactionsOf(rows, opts.reactors, viewer);
    return withinReplyBytes(
      rows.map((m) => messageJson(m, reactions.get(m.id))),
      this.config.REPLY_MAX_BYTES,
    );
  }

  /** GET …/message/:id: 404 when missing, deleted, filtered or an invisible whisper. */
  async single(room: Room, permissions: RoomPermissions, user: AuthenticatedUser | null, id: number, reactors: number): Promise<MessageJson> {
    const viewer = viewerOf(user, permissions);
    const m = await this.repo.visibleMessage(room.id, id, viewer);
    if (!m) throw new NotFoundException('No such message');
    const reactions = await this.reactionsOf([m], reactors, viewer);
    return messageJson(m, reactions.get(m.id));
  }

  private async reactionsOf(rows: readonly MessageRow[], reactors: number, viewer: Viewer) {
    const ids = rows.filter((m) => m.data !== null).map((m) => m.id);
    if (ids.length === 0) return new Map<number, ReactionsBlock>();
    return buildReactions(await this.repo.reactions(ids, reactors, viewer), reactors);
  }

  // ---- posting (protocol §6.3, §9.2)

  /**
   * POST …/message: 201 body. One statement stores it (RoomsRepository.postMessage); a repeat of a
   * recent post (same author, room, signature) returns the original, also when the copies race.
   * A hidden post (storedPost) is stored so and answered as any other (src/rooms/visibility.ts).
   */
  async post(room: Room, permissions: RoomPermissions, user: AuthenticatedUser, msg: NewMessage): Promise<PostedJson> {
    if ((msg.whisperTo !== null || msg.whisperMods) && !permissions.moderator) {
      throw new ForbiddenException('Only moderators can post whispers');
    }
    const whisperTo = msg.whisperTo?.toLowerCase() ?? null;
    const repeatSince = this.config.POST_IDEMPOTENCY_WINDOW > 0 ? this.clock.seconds() - this.config.POST_IDEMPOTENCY_WINDOW : null;
    // The content rules, the plugins and the held mode may each need the poster's standing: one query at most.
    const standingOf = this.standing.lookupOnce(room, permissions, user.id);
    let decision: PostDecision;
    let places: RatePlace[];
    try {
      decision = await this.plugins.beforePost(await this.rules.decide(room, msg, permissions, user, standingOf), room, user, msg, permissions, standingOf);
      places = await this.limits.takePost(room, permissions, user);
    } catch (refusal) {
      // The statement's own checks come before a refusal: a repeat gets its original, a missing recipient 404.
      const earlier = repeatSince === null ? null : await this.repo.findBySignature(room.id, user.id, msg.signature, repeatSince);
      if (earlier !== null) return this.postedMessage(room.id, earlier);
      if (whisperTo !== null && (await this.repo.userIdBySessionId(whisperTo)) === null) throw new NotFoundException(NO_RECIPIENT);
      throw refusal;
    }
    const { filtered, hidden, heldBy } = storedPost(decision, { shadowBanned: permissions.shadowBanned, heldByMode: await this.review.holds(room, permissions, standingOf) });
    const at = this.clock.seconds();
    const result = await this.repo.postMessage({
      roomId: room.id,
      userId: user.id,
      signedAs: user.sessionId,
      posted: at,
      data: msg.data,
      signature: msg.signature,
      filtered,
      whisperTo,
      whisperMods: msg.whisperMods,
      repeatSince,
      files: this.filesToAttach(msg.files, at),
      hidden,
    });
    if (result.outcome === 'posted') {
      if (heldBy !== null) await this.review.recordHeld(room, result.id, user.sessionId, heldBy);
      // Built from what was stored, no re-read: a new row has no reactions and no edit, and the
      // poster's session id is the one the request authenticated as.
      const json: PostedJson = messageJson(
        {
          id: result.id,
          sessionId: user.sessionId,
          posted: at,
          edited: null,
          seqno: result.seqno,
          seqnoData: result.seqno,
          seqnoReactions: 0,
          data: msg.data,
          signature: msg.signature,
          whisperTo,
          whisperMods: msg.whisperMods,
        },
        {},
      );
      if (filtered) json.filtered = true;
      else if (hidden !== 'shadow')
        this.plugins.posted(room, user, { id: result.id, seqno: result.seqno, data: msg.data, whisper: whisperTo !== null || msg.whisperMods, held: hidden === 'held' });
      return json;
    }
    // Nothing was stored, so the post gives its places in the rate-limit windows back.
    await this.limits.refund(places);
    if (result.outcome === 'repeated') return this.postedMessage(room.id, result.id);
    throw new NotFoundException(result.outcome === 'no_recipient' ? NO_RECIPIENT : 'No such room');
  }

  /** The 201 shape of protocol §6.3 for an earlier message, as it is now. */
  private async postedMessage(roomId: number, id: number): Promise<PostedJson> {
    const m = (await this.repo.message(roomId, id))!;
    const json: PostedJson = messageJson(m, {});
    if (m.filtered) json.filtered = true;
    return json;
  }

  /** protocol §6.3 `files`, §9.3: recent own uploads of this room get the attached expiry. */
  private filesToAttach(ids: number[], at: number): FilesToAttach {
    return { ids, uploadedSince: at - this.config.FILE_UPLOAD_EXPIRY, expiry: this.config.FILE_EXPIRY > 0 ? at + this.config.FILE_EXPIRY : null };
  }

  /** PUT …/message/:id: only the author; keeps `posted`, sets `edited`, new seqno (protocol §6.3). */
  async edit(room: Room, user: AuthenticatedUser, id: number, edit: MessageEdit): Promise<void> {
    await this.repo.transaction(async (tx) => {
      const seqno = await this.repo.advanceSequence(room.id, 1, tx);
      const m = await this.repo.message(room.id, id, tx);
      if (!m || m.data === null) throw new NotFoundException('No such message');
      if (m.userId !== user.id) throw new ForbiddenException('Only the author can edit a message');
      const at = this.clock.seconds();
      await this.repo.replaceData(id, edit.data, edit.signature, user.sessionId, seqno, at, tx);
      await this.files.attach(tx, room.id, user.id, id, this.filesToAttach(edit.files, at));
    });
    this.plugins.edited(room, user, id, edit.data);
  }

  /** DELETE …/message/:id: own message, or any as a moderator (protocol §6.3). */
  async remove(room: Room, permissions: RoomPermissions, user: AuthenticatedUser, id: number): Promise<MessageRow> {
    const removed = await this.repo.transaction(async (tx) => {
      await this.repo.advanceSequence(room.id, 1, tx);
      const m = await this.repo.message(room.id, id, tx);
      if (!m || m.data === null || !canSeeMessage(m, viewerOf(user, permissions))) throw new NotFoundException('No such message');
      if (m.userId !== user.id && !permissions.moderator) throw new ForbiddenException('You can only delete your own messages');
      await this.removal.deleteLocked(room.id, m, tx);
      if (m.userId !== user.id) {
        const action = await this.review.deletedByModerator(m, tx);
        await this.audit.record({ actor: actorOf(user), action, room, target: String(id), details: { author: m.sessionId } }, tx);
      }
      return m;
    });
    this.plugins.deleted(room, removed, user);
    return removed;
  }

  /**
   * DELETE /room/:token/all/:session_id: all the user's messages in the room (protocol §6.3). Own posts,
   * or a moderator's; an admin's posts need an admin. Nothing deleted → 404.
   */
  async deleteAllInRoom(room: Room, permissions: RoomPermissions, user: AuthenticatedUser, sessionId: string): Promise<number> {
    const targetId = await this.repo.userIdBySessionId(sessionId.toLowerCase());
    if (targetId === null) throw new NotFoundException('No such user');
    await this.requireDeleteAll(room, permissions, user, targetId);
    const count = await this.deleteAllOf(room, user, targetId, sessionId);
    if (count === 0) throw new NotFoundException('No messages to delete');
    return count;
  }

  /** DELETE /rooms/all/:session_id: the above in every accessible room where it is allowed. */
  async deleteAllEverywhere(user: AuthenticatedUser, sessionId: string): Promise<{ total: number; rooms: Record<string, number> }> {
    const targetId = await this.repo.userIdBySessionId(sessionId.toLowerCase());
    if (targetId === null) throw new NotFoundException('No such user');
    const result = { total: 0, rooms: {} as Record<string, number> };
    for (const { room, permissions } of await this.rooms.accessibleRooms(user)) {
      try {
        await this.requireDeleteAll(room, permissions, user, targetId);
      } catch (err) {
        if (err instanceof ForbiddenException) continue;
        throw err;
      }
      const count = await this.deleteAllOf(room, user, targetId, sessionId);
      result.rooms[room.token] = count;
      result.total += count;
    }
    return result;
  }

  private async requireDeleteAll(room: Room, permissions: RoomPermissions, user: AuthenticatedUser, targetId: number): Promise<void> {
    if (targetId === user.id) return;
    if (!permissions.moderator) throw new ForbiddenException("Only moderators can delete other users' messages");
    if (permissions.admin) return;
    const flags = await this.repo.userFlags(targetId);
    const target = await this.rooms.permissionsFor(room, flags && { id: targetId, banned: false, ...flags });
    if (target.admin) throw new ForbiddenException("Only admins can delete an admin's messages");
  }

  private deleteAllOf(room: Room, by: AuthenticatedUser, userId: number, sessionId: string): Promise<number> {
    return this.repo
      .transaction(async (tx) => {
        await this.repo.advanceSequence(room.id, 1, tx);
        const ids = await this.repo.liveMessageIdsOf(room.id, userId, tx);
        for (const [i, id] of ids.entries()) {
          if (i > 0) await this.repo.advanceSequence(room.id, 1, tx);
          await this.removal.deleteLocked(room.id, (await this.repo.message(room.id, id, tx))!, tx);
        }
        await this.files.expireUploadsOf(tx, room.id, userId, this.clock.seconds());
        if (ids.length === 0) throw new NoChange();
        if (userId !== by.id)
          await this.audit.record({ actor: actorOf(by), action: 'message.delete_all', room, target: sessionId.toLowerCase(), details: { deleted: ids.length } }, tx);
        return ids.length;
      })
      .catch((err: unknown) => {
        if (err instanceof NoChange) return 0;
        throw err;
      });
  }

  // ---- reactions (protocol §6.4)

  /**
   * PUT …/reaction/:id/:reaction: counted by the reaction limits (RoomLimits.takeReaction) only when
   * it adds one. A moderator's approve or reject emoji on a held or reported message is their decision,
   * consumed (never stored); the report emoji is a report (src/rooms/review.service.ts). `hidden` (a
   * shadow-banned user's reaction, a report): counted only for the reactor and moderators
   * (src/rooms/visibility.ts).
   */
  async addReaction(room: Room, permissions: RoomPermissions, user: AuthenticatedUser, id: number, reaction: string): Promise<{ added: boolean; seqno: number }> {
    const kind = this.review.kindOf(room, reaction);
    // A lockdown is when reports matter most: a report gets through it (still under the report and reaction caps).
    if (kind !== 'report') this.rooms.requirePermission(permissions, user, 'react');
    if ((kind === 'approve' || kind === 'reject') && permissions.moderator) {
      const decided = await this.review.decide(room, id, kind === 'approve', user);
      if (decided) return { added: false, seqno: decided.seqno };
    }
    const hidden = permissions.shadowBanned || kind === 'report' || (await this.plugins.beforeReaction(room, user, id, reaction));
    const places = await this.limits.takeReaction(room, permissions, user);
    const viewer = viewerOf(user, permissions);
    const maxDistinct = this.config.REACTIONS_MAX_DISTINCT_PER_MESSAGE;
    const add = async (tx: Tx, seqno: number): Promise<number> => {
      const done = await this.repo.addReactionIn({ roomId: room.id, messageId: id, reaction, userId: user.id, at: this.clock.seconds(), hidden, seqno, maxDistinct, viewer }, tx);
      if (done.messageSeqno === null) throw new NotFoundException('No such message');
      // 409, not 429: it is the message's state that refuses, for everyone, until a reaction goes.
      if (!done.allowed) throw new ConflictException(`A message can carry at most ${maxDistinct} different reactions`);
      if (!done.added) throw new NoChange(done.messageSeqno);
      if (kind !== 'report') return seqno;
      const after = await this.review.report(room, permissions, user, id, seqno, tx);
      if (after === false) throw new NoChange();
      return after;
    };
    const { changed, seqno } = await this.reactionChange(room, id, add).catch(async (err: unknown) => {
      await this.limits.refund(places);
      throw err;
    });
    if (changed === 0) await this.limits.refund(places);
    else this.plugins.reacted(room, user, id, reaction, kind === 'report' ? 'report' : hidden ? 'hidden' : 'visible');
    return { added: changed > 0, seqno };
  }

  async removeReaction(room: Room, permissions: RoomPermissions, user: AuthenticatedUser, id: number, reaction: string): Promise<{ removed: boolean; seqno: number }> {
    const viewer = viewerOf(user, permissions);
    const remove = async (tx: Tx, seqno: number): Promise<number> => {
      const done = await this.repo.removeReactionIn({ roomId: room.id, messageId: id, reaction, userId: user.id, seqno, viewer }, tx);
      if (done.messageSeqno === null) throw new NotFoundException('No such message');
      if (!done.removed) throw new NoChange(done.messageSeqno);
      if (this.review.kindOf(room, reaction) === 'report') await this.review.withdrawReport(id, user, tx);
      return seqno;
    };
    const { changed, seqno } = await this.reactionChange(room, id, remove);
    return { removed: changed > 0, seqno };
  }

  /** Moderator clear of one reaction or all: one seqno per removed user-reaction (protocol §6.4). */
  async clearReactions(room: Room, id: number, reaction: string | undefined, by?: AuthenticatedUser): Promise<{ removed: number; seqno: number }> {
    let removed = 0;
    const { seqno } = await this.reactionChange(room, id, async (tx, first) => {
      if (!(await this.repo.regularMessageExists(room.id, id, tx, { userId: null, moderator: true }))) throw new NotFoundException('No such message');
      removed = await this.repo.removeReactions(id, { reaction }, tx);
      if (removed === 0) throw new NoChange();
      await this.audit.record({ actor: actorOf(by), action: 'reactions.clear', room, target: String(id), details: { reaction: reaction ?? null, removed } }, tx);
      const seqno = removed > 1 ? await this.repo.advanceSequence(room.id, removed - 1, tx) : first;
      await this.repo.setReactionsSeqno(id, seqno, tx);
      return seqno;
    });
    return { removed, seqno };
  }

  /**
   * Runs a reaction change in a transaction holding one new seqno (the room row locked first, so
   * the change reads every earlier change committed); the change itself checks its message (404)
   * and may answer the message's seqno in its NoChange. A change that does nothing rolls back and
   * reports the message's current seqno.
   */
  private async reactionChange(room: Room, id: number, change: (tx: Tx, seqno: number) => Promise<number>): Promise<{ changed: number; seqno: number }> {
    try {
      const seqno = await this.repo.transaction(async (tx) => change(tx, await this.repo.advanceSequence(room.id, 1, tx)));
      return { changed: 1, seqno };
    } catch (err) {
      if (!(err instanceof NoChange)) throw err;
      if (err.messageSeqno !== undefined) return { changed: 0, seqno: err.messageSeqno };
      const m = await this.repo.message(room.id, id);
      if (!m) throw new NotFoundException('No such message');
      return { changed: 0, seqno: m.seqno };
    }
  }

  /** GET …/reactors/:id/:reaction: `[session_id, at]` by reaction time; limit ≤ 0 = all. */
  async reactors(room: Room, permissions: RoomPermissions, user: AuthenticatedUser | null, id: number, reaction: string, limit: number | null): Promise<Array<[string, number]>> {
    const viewer = viewerOf(user, permissions);
    if (!(await this.repo.regularMessageExists(room.id, id, undefined, viewer))) throw new NotFoundException('No such message');
    const rows = await this.repo.reactors(id, reaction, limit !== null && limit > 0 ? limit : null, viewer);
    return rows.map((r) => [r.sessionId, r.at]);
  }

  /** protocol §6.4: 1–REACTION_MAX_CODEPOINTS code points. */
  validReaction(reaction: string): string {
    const length = [...reaction].length;
    if (length < 1 || length > this.config.REACTION_MAX_CODEPOINTS) {
      throw new BadRequestException(`Reactions must be 1 to ${this.config.REACTION_MAX_CODEPOINTS} Unicode code points`);
    }
    // PostgreSQL text cannot hold NUL: refused here rather than failing the query (a 500).
    if (reaction.includes('\u0000')) throw new BadRequestException('Reactions must not contain NUL');
    return reaction;
  }
}
