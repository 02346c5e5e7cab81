import { HttpException, HttpStatus, Inject, Injectable, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { MetricsService } from '../metrics/metrics.service';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { ChangeCache } from '../cache/change-cache';
import { ChangeFeed } from '../cache/change-feed';
import { withinReplyBytes } from '../core/reply-budget';
import { Clock } from '../core/clock';
import { JobName } from '../jobs/job-names';
import { OnJob } from '../jobs/on-job.decorator';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { normaliseSessionId } from '../users/session-id';
import { UsersService } from '../users/users.service';
import { PluginHooks } from '../plugins/plugin-hooks.service';
import { InboxRepository, type DirectMessage, type ImportedDirectMessage, type LatestDirectMessageIds } from './inbox.repository';

/** DM JSON (protocol §6.9); `message` is the base64 of the opaque stored bytes. */
export interface DirectMessageObject {
  id: number;
  posted_at: number;
  expires_at: number;
  sender: string;
  recipient: string;
  message?: string;
}

function toObject(m: DirectMessage, withBody: boolean): DirectMessageObject {
  const out: DirectMessageObject = { id: m.id, posted_at: m.postedAt, expires_at: m.expiry, sender: m.sender, recipient: m.recipient };
  if (withBody) out.message = Buffer.from(m.body).toString('base64');
  return out;
}

/** Blinded direct messages (protocol §6.9). The server stores and relays bytes it cannot read. */
@Injectable()
export class InboxService {
  /** Newest DM ids per user id, dropped when a DM to or from the user is stored. */
  private readonly latest: ChangeCache<LatestDirectMessageIds>;

  constructor(
    private readonly repo: InboxRepository,
    private readonly users: UsersService,
    private readonly limiter: RateLimiter,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly feed: ChangeFeed,
    private readonly clock: Clock,
    private readonly plugins: PluginHooks,
    private readonly audit: AuditService,
  ) {
    this.latest = new ChangeCache(feed, { ttlMs: config.CACHE_TTL * 1000, maxEntries: config.CACHE_MAX_ENTRIES, clock });
    feed.subscribe((change) => {
      if (change.kind === 'inbox') {
        this.latest.delete(String(change.recipientId));
        this.latest.delete(String(change.senderId));
      } else if (change.kind === 'reset') this.latest.clear();
    });
  }

  /** Messages to (`inbox`) or from (`outbox`) the user with id > afterId (0 = all), oldest first. */
  async list(user: AuthenticatedUser, box: 'inbox' | 'outbox', afterId: number, limit: number): Promise<DirectMessageObject[]> {
    // A poll already past the newest DM reads nothing (the idle poll, issue 7).
    if (this.feed.live && afterId >= (await this.latest.get(String(user.id), () => this.repo.latestIds(user.id)))[box]) return [];
    const rows = await this.repo.list(box === 'inbox' ? 'recipient' : 'sender', user.id, afterId, limit, this.clock.seconds());
    return withinReplyBytes(
      rows.map((m) => toObject(m, true)),
      this.config.REPLY_MAX_BYTES,
    );
  }

  /**
   * Stores a DM to an existing, not globally banned user (else 404), within the sender's `dm`
   * rate limit (DM_RATE_LIMIT per DM_RATE_WINDOW seconds). A globally shadow-banned sender's DM
   * is answered as delivered and dropped (issue 14): the row keeps no body and is already expired,
   * so no box lists it and the expiry sweep deletes it; it exists only to give the answer its id.
   */
  async send(sender: AuthenticatedUser, recipientSessionId: string, body: Uint8Array): Promise<DirectMessageObject> {
    if (body.length > this.config.MESSAGE_MAX_BYTES) throw new PayloadTooLargeException(`Message larger than ${this.config.MESSAGE_MAX_BYTES} bytes`);
    const recipient = await this.users.findBySessionId(recipientSessionId);
    if (!recipient || recipient.banned) throw new NotFoundException('No such recipient');
    const now = this.clock.seconds();
    await this.requireDmPolicy(sender, recipient.id, now);
    await this.limiter.consumeAll([
      { rule: 'dm', subject: String(sender.id) },
      { rule: 'dm-day', subject: String(sender.id), audit: { room: null, target: sender.sessionId } },
    ]);
    const postedAt = now;
    const expiry = postedAt + this.config.DM_EXPIRY;
    // The ids as used (signed as, addressed to), not the rows' own: a blinded twin is the same user.
    const to = { id: recipient.id, sessionId: normaliseSessionId(recipientSessionId) };
    const drop = sender.shadowBanned || (await this.plugins.beforeBotDm(sender, recipientSessionId, body)) === 'silent';
    const { id } = drop ? await this.repo.insert(sender, to, new Uint8Array(0), postedAt, postedAt) : await this.repo.insert(sender, to, body, postedAt, expiry);
    return toObject({ id, postedAt, expiry, sender: sender.sessionId, recipient: to.sessionId, body }, false);
  }

  /**
   * The DM policy (issue 15 item 4), the one check of who may write to whom: 403 for a sender banned
   * in a room (globally banned ones never get here) or without standing, 429 for an inbox holding DM_UNANSWERED_MAX from strangers.
   * Each refusal is counted (scs_policy_rule_hits_total, rule dm_*) and audit-logged as rule:dm_* at
   * most once per AUDIT_REFUSAL_INTERVAL per sender (AuditService.recordRefusal).
   */
  private async requireDmPolicy(sender: AuthenticatedUser, recipientId: number, now: number): Promise<void> {
    const c = this.config;
    const refuse = async (rule: string, reason: string, status: HttpStatus = HttpStatus.FORBIDDEN): Promise<never> => {
      this.metrics.ruleHits.inc({ rule, action: 'refuse' });
      await this.audit.recordRefusal(rule, null, sender.sessionId, reason);
      throw new HttpException(reason, status);
    };
    if (c.DM_REFUSE_ROOM_BANNED && (await this.repo.bannedInAnyRoom(sender.id)))
      await refuse('dm_banned', 'You cannot send direct messages on this server while banned from a room');
    if (sender.moderator || sender.admin) return;
    const standingRules = c.DM_MIN_AGE > 0 || c.DM_REQUIRE_POSTED;
    if (!standingRules && c.DM_UNANSWERED_MAX === 0) return;
    // A reply to someone who wrote first is not unsolicited: neither standing nor the strangers' cap
    // applies (a newcomer answering a moderator, or a bot's captcha question, issue 16).
    const pending = await this.repo.unansweredPending(recipientId, sender.id, now);
    if (pending === null) return;
    if (standingRules) {
      const created = await this.repo.firstSeen(sender.id);
      if (c.DM_MIN_AGE > 0 && (created === null || now - created < c.DM_MIN_AGE)) await refuse('dm_standing', 'You cannot send direct messages yet: you are new on this server');
      if (c.DM_REQUIRE_POSTED && !(await this.repo.postedAnywhere(sender.id))) await refuse('dm_standing', 'You cannot send direct messages before you have posted in a room');
    }
    if (c.DM_UNANSWERED_MAX > 0 && pending >= c.DM_UNANSWERED_MAX) {
      await refuse('dm_unanswered', 'This user has too many unanswered messages; try again later', HttpStatus.TOO_MANY_REQUESTS);
    }
  }

  /** Deletes every message to the user; returns how many. */
  deleteInbox(user: AuthenticatedUser): Promise<number> {
    return this.repo.deleteTo(user.id);
  }

  /** Periodic job (protocol §9.4 step 3): deletes expired DMs; returns how many. */
  @OnJob(JobName.ExpireDms, { every: 'CLEANUP_INTERVAL' })
  expireMessages(): Promise<number> {
    return this.repo.deleteExpired(this.clock.seconds());
  }

  /** A DM imported from another server (CLI `import pysogs`); returns 0 when it is already there. */
  importMessage(m: ImportedDirectMessage): Promise<number> {
    return this.repo.importMessage(m);
  }
}
