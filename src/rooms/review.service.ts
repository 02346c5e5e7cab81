import { ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { actorOf } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import type { AuditAction, AuditActor } from '../audit/audit.types';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Clock } from '../core/clock';
import type { Room } from '../generated/prisma/client';
import { JobName } from '../jobs/job-names';
import { OnJob } from '../jobs/on-job.decorator';
import { roomModeration, type RoomModeration } from '../moderation/room-moderation';
import { isRestrictedNewUser, isUntrusted, StandingService, type StandingLookup } from '../moderation/standing.service';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { MessageRemoval } from './message-removal';
import { readCommunityMessage } from './message-filter';
import type { RoomPermissions } from './permissions';
import { ReviewRepository, type ReportedRow } from './review.repository';
import { RoomsRepository, type MessageRow, type Tx } from './rooms.repository';

const DAY = 86400;

/** The text a client shows for a stored message (protocol §7.6), null when unreadable. */
const textOf = (data: Uint8Array): string | null => readCommunityMessage(data)?.body ?? null;

/** Another post by the same author, shown beside a held or reported one. */
export interface OtherPostJson {
  id: number;
  posted: number;
  text: string | null;
  /** Why it is not public ('held', 'reported', …), null when it is. */
  hidden: string | null;
}

/** What a reaction means in a room: a moderator's decision, a report, or an ordinary reaction (null). */
export type ReactionKind = 'approve' | 'reject' | 'report' | null;

/** A held post as the CLI and the console list it. */
export interface HeldJson {
  id: number;
  room: string;
  session_id: string;
  posted: number;
  /** The message text when the server can read it (protocol §7.6), else null. */
  text: string | null;
}

export interface ReportedJson {
  id: number;
  room: string;
  session_id: string;
  posted: number;
  /** The message text when the server can read it (protocol §7.6), else null. */
  text: string | null;
  /** Whether the reports have hidden it (until a moderator decides). */
  hidden: boolean;
  reports: number;
  counted: number;
  reporters: string[];
  first_at: number;
  last_at: number;
}

/**
 * Held posts and reports (issue 14 items 4, 5; README "Moderation"): the rules of pre-moderation
 * and of users' reports, and every moderator decision on them, whichever way it comes (a reaction
 * from a stock client, a delete, the CLI, the console). Visibility itself is src/rooms/visibility.ts.
 */
@Injectable()
export class ReviewService {
  private readonly logger = new Logger(ReviewService.name);

  constructor(
    private readonly repo: ReviewRepository,
    private readonly rooms: RoomsRepository,
    private readonly removal: MessageRemoval,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly standing: StandingService,
  ) {}

  private settings(room: Room): RoomModeration {
    return roomModeration(room, this.config);
  }

  kindOf(room: Room, reaction: string): ReactionKind {
    const s = this.settings(room);
    if (reaction === s.reportEmoji) return 'report';
    if (reaction === s.approveEmoji) return 'approve';
    if (reaction === s.rejectEmoji) return 'reject';
    return null;
  }

  /** Whether the room's held mode holds a new post by this poster (moderators never; standing only asked when it matters). */
  async holds(room: Room, permissions: RoomPermissions, standingOf: StandingLookup): Promise<boolean> {
    const mode = this.settings(room).heldMode;
    if (permissions.moderator || mode === 'off') return false;
    if (mode === 'all') return true;
    const standing = await standingOf();
    return mode === 'new' ? isRestrictedNewUser(standing) : isUntrusted(standing);
  }

  /** The audit entry of a held post (an automatic action), under the name of who held it (storedPost: `rule:held`, `rule:NAME`, `plugin:NAME`). */
  async recordHeld(room: Room, id: number, author: string, by: AuditActor): Promise<void> {
    await this.audit.record({ actor: by, action: 'held.hold', room, target: String(id), details: { author } });
  }

  // ---- decisions

  /**
   * A moderator's decision on a message: approve (publish a held post; dismiss its reports and
   * restore it if they hid it) or reject (delete it; its reports are upheld). Runs in a transaction
   * that locks the room; null when the message is neither held nor reported (nothing to decide).
   * `by` absent: the CLI or console (actingAs).
   */
  async decide(room: Room, id: number, approve: boolean, by?: AuthenticatedUser): Promise<{ seqno: number } | null> {
    return this.rooms
      .transaction(async (tx) => {
        const first = await this.rooms.advanceSequence(room.id, 1, tx);
        const m = await this.rooms.message(room.id, id, tx, true);
        if (!m || m.data === null) throw new NotFoundException('No such message');
        const open = await this.repo.openReports(id, tx);
        const held = m.hidden === 'held';
        if (!held && m.hidden !== 'reported' && open.all === 0) throw new Undecidable();
        const at = this.clock.seconds();
        let action: AuditAction;
        let seqno: number;
        if (approve) {
          seqno = await this.publish(room, m, open.all > 0, first, tx);
          if (open.all > 0) await this.repo.decideReports(id, 'dismissed', at, tx);
          action = held ? 'held.approve' : 'report.dismiss';
        } else {
          await this.removal.deleteLocked(room.id, m, tx);
          if (open.all > 0) await this.repo.decideReports(id, 'upheld', at, tx);
          seqno = (await this.rooms.message(room.id, id, tx))!.seqno;
          action = held ? 'held.reject' : 'report.uphold';
        }
        const details = { author: m.sessionId, reports: open.all, ...(m.hidden === 'reported' ? { hidden_by_reports: true } : {}) };
        await this.audit.record({ actor: actorOf(by), action, room, target: String(id), details }, tx);
        return { seqno };
      })
      .catch((err: unknown) => {
        if (err instanceof Undecidable) return null;
        throw err;
      });
  }

  /**
   * Makes a held or report-hidden message visible again, without its report reactions: each removed
   * report takes a seqno (protocol §7.1) and the visibility change one more, so every poller
   * receives the message again (a held post is new to them: its creation moves too).
   */
  private async publish(room: Room, m: MessageRow, withReports: boolean, first: number, tx: Tx): Promise<number> {
    const removed = withReports ? await this.rooms.removeReactions(m.id, { reaction: this.settings(room).reportEmoji }, tx) : 0;
    // A shadow-banned author's post stays hidden whatever its reports (src/rooms/visibility.ts).
    const change = m.hidden === 'held' || m.hidden === 'reported' ? 1 : 0;
    const last = removed + change > 1 ? await this.rooms.advanceSequence(room.id, removed + change - 1, tx) : first;
    // Also with nothing removed: the decision reaction a client showed at once is overwritten by the next poll.
    if (removed > 0 || change === 0) await this.rooms.setReactionsSeqno(m.id, last - change, tx);
    if (change) {
      await this.rooms.setHidden(m.id, null, m.hidden === 'held', last, tx);
      if (await this.rooms.isPinned(m.id, tx)) await this.rooms.bumpInfoUpdates(room.id, 1, tx);
    }
    return last;
  }

  /** The CLI's and console's approve/reject: by message id, in whichever room it is. */
  async decideById(id: number, approve: boolean): Promise<{ room: string; seqno: number }> {
    const room = await this.roomOfMessage(id);
    const decided = await this.decide(room, id, approve);
    if (!decided) throw new ConflictException(`Message ${id} is neither held nor reported`);
    return { room: room.token, seqno: decided.seqno };
  }

  private async roomOfMessage(id: number): Promise<Room> {
    const roomId = await this.repo.roomOfMessage(id);
    const room = roomId === null ? null : await this.rooms.roomById(roomId);
    if (!room) throw new NotFoundException(`No such message: ${id}`);
    return room;
  }

  /**
   * A moderator deleted someone's message (protocol §6.3): for a held post that is its rejection,
   * for a reported one the reports are upheld. Returns the audit action of the deletion.
   */
  async deletedByModerator(m: MessageRow, tx: Tx): Promise<AuditAction> {
    const open = await this.repo.openReports(m.id, tx);
    if (open.all > 0) await this.repo.decideReports(m.id, 'upheld', this.clock.seconds(), tx);
    if (m.hidden === 'held') return 'held.reject';
    return open.all > 0 || m.hidden === 'reported' ? 'report.uphold' : 'message.delete';
  }

  // ---- reports

  /**
   * Records the user's report of a message they just reacted to with the report emoji (the hidden
   * reaction is added by the caller, in `tx`, at `seqno`). One report per user and message: false
   * when there was one (the caller rolls back). A report counts when its reporter is in good
   * standing (not a restricted new user, not shadow-banned, within REPORTS_PER_DAY, fewer than
   * REPORTS_DISMISSED_LIMIT dismissed reports) on someone else's public message; when the counted open reports reach the
   * room's threshold, the message is hidden ('reported') and pollers learn of it as of a deletion.
   * Returns the message's seqno after it all.
   */
  async report(room: Room, permissions: RoomPermissions, user: AuthenticatedUser, id: number, seqno: number, tx: Tx): Promise<number | false> {
    const m = (await this.rooms.message(room.id, id, tx))!;
    const at = this.clock.seconds();
    const record = await this.repo.reporterRecord(user.id, at - DAY, tx);
    const limit = this.config.REPORTS_DISMISSED_LIMIT;
    const counted =
      m.hidden === null &&
      m.userId !== user.id &&
      !permissions.shadowBanned &&
      record.recent < this.config.REPORTS_PER_DAY &&
      !(limit > 0 && record.dismissed >= limit) &&
      !isRestrictedNewUser(await this.standing.standingWith(room, permissions, user.id));
    if (!(await this.repo.insertReport(room.id, id, user.id, at, counted, tx))) return false;
    if (!counted) return seqno;
    const threshold = this.settings(room).reportThreshold;
    if ((await this.repo.openReports(id, tx)).counted < threshold) return seqno;
    const hidden = await this.rooms.advanceSequence(room.id, 1, tx);
    await this.rooms.setHidden(id, 'reported', false, hidden, tx);
    if (await this.rooms.isPinned(id, tx)) await this.rooms.bumpInfoUpdates(room.id, 1, tx);
    await this.audit.record({ actor: 'rule:reports', action: 'report.hide', room, target: String(id), details: { author: m.sessionId, threshold } }, tx);
    return hidden;
  }

  /** The user removed their report reaction: an open report is taken back. */
  withdrawReport(id: number, user: AuthenticatedUser, tx: Tx): Promise<void> {
    return this.repo.withdrawReport(id, user.id, tx);
  }

  // ---- lists (CLI, console)

  async held(roomToken?: string): Promise<HeldJson[]> {
    const rows = await this.repo.held(await this.roomIdOf(roomToken));
    return rows.map((m) => ({ id: m.id, room: m.room, session_id: m.sessionId, posted: m.posted, text: textOf(m.data) }));
  }

  /** The author's other latest posts in the room of message `id`, for a moderator deciding on it. */
  async otherPosts(id: number, limit: number): Promise<OtherPostJson[]> {
    const rows = await this.repo.otherPosts(id, limit);
    return rows.map((m) => ({ id: m.id, posted: m.posted, text: textOf(m.data), hidden: m.hidden }));
  }

  async reports(roomToken?: string): Promise<ReportedJson[]> {
    const rows = await this.repo.reported(await this.roomIdOf(roomToken));
    return rows.map((r: ReportedRow) => ({
      id: r.id,
      room: r.room,
      session_id: r.sessionId,
      posted: r.posted,
      text: textOf(r.data),
      hidden: r.hidden === 'reported',
      reports: r.reports,
      counted: r.counted,
      reporters: r.reporters,
      first_at: r.first,
      last_at: r.last,
    }));
  }

  private async roomIdOf(token: string | undefined): Promise<number | null> {
    if (token === undefined) return null;
    const [room] = await this.rooms.roomsByTokens([token]);
    if (!room) throw new NotFoundException(`No such room: ${token}`);
    return room.id;
  }

  /** Drops reports older than REPORTS_RETENTION (0 keeps them); returns how many. */
  @OnJob(JobName.PruneReports, { every: 'CLEANUP_INTERVAL' })
  async prune(): Promise<number> {
    if (this.config.REPORTS_RETENTION === 0) return 0;
    const removed = await this.repo.prune(this.clock.seconds() - this.config.REPORTS_RETENTION);
    if (removed) this.logger.log(`Pruned ${removed} report${removed === 1 ? '' : 's'} past REPORTS_RETENTION`);
    return removed;
  }
}

/** Thrown inside a decision's transaction to roll it back when there is nothing to decide. */
class Undecidable extends Error {}
