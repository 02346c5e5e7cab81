import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Clock } from '../core/clock';
import type { Prisma } from '../generated/prisma/client';
import { JobName } from '../jobs/job-names';
import { OnJob } from '../jobs/on-job.decorator';
import { ANY_SESSION_ID } from '../protocol/constants';
import { normaliseSessionId } from '../users/session-id';
import { MetricsService } from '../metrics/metrics.service';
import { RedisService } from '../redis/redis.service';
import { AuditRepository } from './audit.repository';
import type { AuditEntry, AuditFilter, AuditRecord } from './audit.types';

/** The most entries one listing returns (the CLI's and the console's page and CSV export). */
export const AUDIT_LIST_LIMIT = 1000;

/** Session ids are stored lower-case; other actors ("cli", "rule:NAME") and targets (file ids) as given. */
function idOrName(text: string | undefined): string | undefined {
  return text !== undefined && ANY_SESSION_ID.test(text) ? normaliseSessionId(text) : text;
}

/**
 * The audit log (issue 14): every moderator, admin and automatic action, recorded by the service
 * that makes the change (so the API, the CLI, the console and jobs record it once, the same way).
 * Pass the change's transaction as `db` so the entry commits or rolls back with it.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  /** Records one or more entries, inside `db` (the change's transaction) when given. */
  async record(entries: AuditEntry | AuditEntry[], db?: Prisma.TransactionClient): Promise<void> {
    const list = Array.isArray(entries) ? entries : [entries];
    if (list.length === 0) return;
    await this.repo.insert(this.clock.seconds(), list, db);
    // Counted when written; a transaction that then rolls back is rare (a later check of the same change failing).
    for (const e of list) this.metrics.moderationActions.inc({ action: e.action });
  }

  /**
   * Records that policy rule `rule` refused `target` (a session id) in `room`, as actor "rule:RULE",
   * at most once per AUDIT_REFUSAL_INTERVAL for the same rule, room and target: a refusal changes
   * nothing, and a flood of refused requests must not become a flood of rows. Best effort: a failure
   * here is logged and never becomes the refused request's answer.
   */
  async recordRefusal(rule: string, room: { id: number; token: string } | null, target: string, reason: string): Promise<void> {
    try {
      const key = this.redis.key('auditonce', this.redis.pseudonym(rule, room?.token ?? '', normaliseSessionId(target)));
      if ((await this.redis.client.set(key, '1', 'EX', this.config.AUDIT_REFUSAL_INTERVAL, 'NX')) !== 'OK') return;
      await this.record({ actor: `rule:${rule}`, action: 'rule.hit', room, target, reason, details: { action: 'refuse' } });
    } catch (err) {
      this.logger.warn(`could not audit-log a refusal by rule ${rule}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Entries matching every given filter, newest first (at most AUDIT_LIST_LIMIT). */
  list(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const normalised = { ...filter, actor: idOrName(filter.actor), target: idOrName(filter.target) };
    return this.repo.list(normalised, Math.min(filter.limit ?? AUDIT_LIST_LIMIT, AUDIT_LIST_LIMIT));
  }

  /** Drops entries older than AUDIT_RETENTION (0 keeps them forever); returns how many. */
  @OnJob(JobName.PruneAudit, { every: 'CLEANUP_INTERVAL' })
  async prune(): Promise<number> {
    if (this.config.AUDIT_RETENTION === 0) return 0;
    const removed = await this.repo.prune(this.clock.seconds() - this.config.AUDIT_RETENTION);
    if (removed) this.logger.log(`Pruned ${removed} audit log entr${removed === 1 ? 'y' : 'ies'} past AUDIT_RETENTION`);
    return removed;
  }
}
