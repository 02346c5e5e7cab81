import { ForbiddenException, HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import badwords from 'badwords-list';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { Room } from '../generated/prisma/client';
import { MetricsService } from '../metrics/metrics.service';
import { CompiledContentRules, defaultPolicy, effectivePolicy, roomContentPolicySchema, type ContentPolicy, type RoomContentPolicy } from './content-rules';
import { alphabetHit, profanityMatcher, readCommunityMessage } from './message-filter';
import { ALLOWED, type PostDecision } from './post-decision';
import type { RoomPermissions } from './permissions';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { actingAs, actorOf } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import { isRestrictedNewUser, isUntrusted, type StandingLookup } from '../moderation/standing.service';

/**
 * Posting filters of protocol §9.2 and each room's content rules (issue 15 item 5), one check every
 * post goes through (the rate limit is the `post` rule of the RateLimiter).
 */
@Injectable()
export class PostRules {
  private readonly profane: ((text: string) => boolean) | null;
  private readonly alphabets: string[];
  private readonly logger = new Logger('ContentRules');
  private readonly defaults: ContentPolicy;
  /** Each room's compiled rules, with the stored policy text they were compiled from. */
  private readonly compiled = new Map<number, { source: string; rules: CompiledContentRules; own: RoomContentPolicy }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly audit: AuditService,
  ) {
    this.defaults = defaultPolicy(config);
    const words = config.PROFANITY_CUSTOM ? readFileSync(config.PROFANITY_CUSTOM, 'utf8').split(/\r?\n/) : badwords.array;
    this.profane = config.PROFANITY_FILTER ? profanityMatcher(words) : null;
    this.alphabets = config.ALPHABET_FILTERS.split(/[\s,]+/).filter(Boolean);
  }

  /** The rules in force in a room: its own (validated when set; a hand-edited invalid one falls back to the defaults) over the server's. */
  policyOf(room: Room): ContentPolicy {
    return this.rulesOf(room).policy;
  }

  /** What the room sets itself (absent keys: the server's defaults apply). */
  ownPolicyOf(room: Room): RoomContentPolicy {
    return this.compiledOf(room).own;
  }

  private rulesOf(room: Room): CompiledContentRules {
    return this.compiledOf(room).rules;
  }

  private compiledOf(room: Room): { source: string; rules: CompiledContentRules; own: RoomContentPolicy } {
    const source = JSON.stringify(room.policy ?? {});
    const cached = this.compiled.get(room.id);
    if (cached?.source === source) return cached;
    const parsed = roomContentPolicySchema.safeParse(room.policy ?? {});
    if (!parsed.success) this.logger.warn(`room ${room.token}: stored content policy is invalid, using the server defaults: ${parsed.error.message}`);
    const own = parsed.success ? parsed.data : {};
    const entry = { source, own, rules: new CompiledContentRules(effectivePolicy(own, this.defaults), this.config.CONTENT_PATTERN_INPUT_MAX) };
    this.compiled.set(room.id, entry);
    return entry;
  }

  /**
   * Applies the configured filters and the room's content rules (moderators exempt unless
   * FILTER_MODS) and says how the post is stored: as usual, silently filtered, or held for review.
   * A refusing §9.2 filter answers 429 (as the reference does), a refusing content rule 403 with its reason.
   */
  async decide(
    room: Room,
    post: { data: Uint8Array; files: readonly number[] },
    permissions: RoomPermissions,
    user: AuthenticatedUser,
    standingOf: StandingLookup,
  ): Promise<PostDecision> {
    if (permissions.moderator && !this.config.FILTER_MODS) return ALLOWED;
    const rules = this.rulesOf(room);
    if (!this.profane && this.alphabets.length === 0 && rules.idle) return ALLOWED;
    const parsed = readCommunityMessage(post.data);
    // Attachments are the uploads the post names (as clients send them) or pointers in its Content.
    const read = parsed && { ...parsed, attachments: Math.max(parsed.attachments, post.files.length) };
    const body = read?.body ?? '';
    const displayName = read?.displayName ?? '';
    if (this.alphabets.length && alphabetHit(`${body}\n${displayName}`, this.alphabets)) {
      if (!this.config.ALPHABET_SILENT) throw new HttpException('filtration rejected message (alphabet)', HttpStatus.TOO_MANY_REQUESTS);
      return { action: 'silent', by: 'rule:alphabet' };
    }
    if (this.profane && (this.profane(body) || this.profane(displayName))) {
      if (!this.config.PROFANITY_SILENT) throw new HttpException('filtration rejected message (profanity)', HttpStatus.TOO_MANY_REQUESTS);
      return { action: 'silent', by: 'rule:profanity' };
    }
    if (read === null && rules.policy.unreadable === 'allow') {
      this.metrics.ruleHits.inc({ rule: 'unreadable', action: 'allow' });
      this.logger.debug(`room ${room.token}: a post whose text cannot be read was allowed`);
    }
    const standing = rules.needsStanding(read) ? await standingOf() : null;
    const hit = rules.check(read, standing && { untrusted: isUntrusted(standing), restrictedNewUser: isRestrictedNewUser(standing) });
    if (!hit) return ALLOWED;
    this.metrics.ruleHits.inc({ rule: hit.rule, action: hit.action });
    // The rule acted: the audit log names it as the actor (item 8), the author as the target.
    await actingAs(`rule:${hit.rule}`, () => this.audit.record({ actor: actorOf(), action: 'rule.hit', room, target: user.sessionId, details: { action: hit.action } }));
    if (hit.action === 'refuse') throw new ForbiddenException(hit.reason);
    return { action: hit.action, by: `rule:${hit.rule}` };
  }
}
