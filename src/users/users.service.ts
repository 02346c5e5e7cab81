import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { Clock } from '../core/clock';
import { activityGranule } from './activity';
import type { AuthenticatedUser } from './authenticated-user';
import { ChangeCache } from '../cache/change-cache';
import { ChangeFeed } from '../cache/change-feed';
import { blind15IdsFromSessionId, blindedAbs, InvalidKeyError } from '../crypto';
import type { Prisma, User } from '../generated/prisma/client';
import { canonicalSessionId, isBlindedId, isUnblindedId, normaliseSessionId } from './session-id';
import { SYSTEM_USER_ID, systemSessionId } from './system-user';
import { UsersRepository, type ImportedUser } from './users.repository';

/** `signedAs`: the id the request was signed with, the row's own or its negated blinded twin. */
export function toAuthenticated(u: User, signedAs: string = u.sessionId): AuthenticatedUser {
  return {
    id: u.id,
    sessionId: signedAs,
    banned: u.banned,
    moderator: u.moderator,
    admin: u.admin,
    visibleMod: u.visibleMod,
    shadowBanned: u.shadowBanned,
    trusted: u.trusted,
    mutedUntil: u.mutedUntil,
    muteReason: u.muteReason,
  };
}

/**
 * The user a moderation action applies to (protocol §2.4 try_blinding): `pendingBlindedAbs` is set when
 * the action lands on a 05 user whose blinded id is not known yet, so the caller records
 * needs_blinding once the change is made.
 */
export interface ResolvedTarget {
  user: User;
  pendingBlindedAbs: string | null;
}

/** User identity: rows, the system user and the 05→15 mapping of protocol §2.4. */
@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);
  /** Users by canonical session id, tagged by row id; loaded by find-or-create, as every signed request makes its user. */
  private readonly authCache: ChangeCache<User>;

  constructor(
    private readonly repo: UsersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    feed: ChangeFeed,
    private readonly clock: Clock,
  ) {
    this.authCache = new ChangeCache(feed, {
      ttlMs: config.CACHE_TTL * 1000,
      maxEntries: config.CACHE_MAX_ENTRIES,
      clock,
      tagOf: (user) => String(user.id),
    });
    feed.subscribe((change) => {
      if (change.kind === 'user') this.authCache.deleteTag(String(change.userId));
      else if (change.kind === 'reset') this.authCache.clear();
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.repo.ensureSystemUser(this.systemSessionId);
    if (this.config.REQUIRE_BLIND_KEYS) await this.populateNeedsBlinding();
  }

  get systemSessionId(): string {
    return systemSessionId(this.serverKey.publicKeyHex);
  }

  /** The system user (protocol §2.1) as an actor: what CLI actions run as. */
  async getSystemUser(): Promise<AuthenticatedUser> {
    const user = await this.repo.findById(SYSTEM_USER_ID);
    if (!user) throw new Error('system user missing: the users module did not start');
    return toAuthenticated(user);
  }

  /**
   * The user behind a verified request (protocol §3.2 steps 10 and 13): created on first sight (with
   * the needs_blinding import of protocol §2.4 for 15 ids), last_active touched.
   */
  async getOrCreateAuthenticated(sessionId: string): Promise<AuthenticatedUser> {
    const id = normaliseSessionId(sessionId);
    // Served from the change-notified cache: a known user costs no query (issue 7). Both blinded
    // twins of a user are one entry, as they are one row.
    // A new user's row is kept as it is created: its next request costs no query either (issue 18).
    const user = await this.authCache.get(canonicalSessionId(id), () => this.getOrCreate(id));
    // Written once per granule (docs/privacy.md): every other request of the hour writes nothing.
    const granule = this.activityNow();
    if (user.lastActive < granule) {
      // last_active is not announced; the kept row is advanced here so the touch stays throttled.
      user.lastActive = granule;
      await this.repo.touch(user.id, granule);
    }
    return toAuthenticated(user, id);
  }

  /**
   * The user row for an id (or its blinded twin's: one row for both), created if absent; a new 15
   * user imports a pending 05 user (protocol §2.4), whichever of the twins comes first.
   */
  async getOrCreate(sessionId: string): Promise<User> {
    const id = normaliseSessionId(sessionId);
    return (await this.repo.findBySessionId(id)) ?? this.create(id);
  }

  /** The row of a normalised id not found just now (not read again): created, or the one a concurrent first request made. */
  private create(id: string): Promise<User> {
    const at = this.activityNow();
    return isBlindedId(id) ? this.repo.importOrCreateBlinded(id, blindedAbs(id), at) : this.repo.upsert(id, at);
  }

  /** Now, as activity times are stored: floored to ACTIVITY_GRANULARITY (also a new row's `created`). */
  activityNow(): number {
    return activityGranule(this.clock.seconds(), this.config.ACTIVITY_GRANULARITY);
  }

  findBySessionId(sessionId: string): Promise<User | null> {
    return this.repo.findBySessionId(sessionId);
  }

  findById(id: number): Promise<User | null> {
    return this.repo.findById(id);
  }

  /**
   * Look-up without creating: a 05 id on a blinding server finds its known blinded user first
   * (protocol §2.4 try_blinding). For read-only endpoints.
   */
  async findTarget(sessionId: string): Promise<User | null> {
    const id = normaliseSessionId(sessionId);
    const blinded = this.blindedCandidates(id);
    if (blinded) {
      const found = await this.repo.findBySessionId(blinded.abs);
      if (found) return found;
    }
    return this.repo.findBySessionId(id);
  }

  /**
   * Every user row a session id can be: the one row of both blinded forms (canonical id), and for a
   * 05 id on a blinding server its blinded user and its old unblinded row, when both exist.
   */
  async identities(sessionId: string): Promise<User[]> {
    const found = [await this.findTarget(sessionId), await this.repo.findBySessionId(normaliseSessionId(sessionId))];
    return found.filter((u, i): u is User => u !== null && found.findIndex((v) => v?.id === u.id) === i);
  }

  /**
   * The user a moderation change applies to, created if needed (protocol §2.4 try_blinding). After
   * making the change call `commitTarget` (in the change's transaction) so a 05 user is remembered in needs_blinding.
   */
  async resolveTarget(sessionId: string): Promise<ResolvedTarget> {
    const id = normaliseSessionId(sessionId);
    const blinded = this.blindedCandidates(id);
    if (blinded) {
      const found = await this.repo.findBySessionId(blinded.abs);
      if (found) return { user: found, pendingBlindedAbs: null };
    }
    return { user: await this.getOrCreate(id), pendingBlindedAbs: blinded?.abs ?? null };
  }

  async commitTarget(target: ResolvedTarget, db?: Prisma.TransactionClient): Promise<void> {
    if (target.pendingBlindedAbs) await this.repo.recordNeedsBlinding(target.user.id, target.pendingBlindedAbs, db);
  }

  /**
   * The blinded id of a 05 id when blinding is required, null otherwise (protocol §2.3): its "abs"
   * form, which is also the canonical id of both blinded twins.
   */
  private blindedCandidates(id: string): { abs: string } | null {
    if (!this.config.REQUIRE_BLIND_KEYS || !isUnblindedId(id)) return null;
    try {
      return { abs: blind15IdsFromSessionId(id, this.serverKey.publicKey).abs };
    } catch (err) {
      // A 05 id whose key is not a curve point has no blinded form: nobody can ever sign as it.
      if (err instanceof InvalidKeyError) return null;
      throw err;
    }
  }

  /**
   * Startup with blinding required (protocol §2.4): every 05 user holding moderator/ban/permission
   * state gets a needs_blinding row, so that state moves to their 15 id when it first appears.
   */
  private async populateNeedsBlinding(): Promise<void> {
    const pending = await this.repo.unblindedUsersNeedingBlinding();
    for (const u of pending) {
      const blinded = this.blindedCandidates(u.sessionId);
      if (blinded) await this.repo.recordNeedsBlinding(u.id, blinded.abs);
    }
    if (pending.length) this.logger.log(`${pending.length} unblinded user(s) recorded for the 05→15 transition`);
  }

  // ---- import from another server (CLI `import pysogs`)

  /** Our id of the user with this session id, created with the source's flags when absent. */
  importUser(u: ImportedUser): Promise<{ id: number; inserted: boolean }> {
    // Another server's exact times are stored as ours are: to the granule (docs/privacy.md).
    const g = this.config.ACTIVITY_GRANULARITY;
    return this.repo.importUser({ ...u, created: activityGranule(u.created, g), lastActive: activityGranule(u.lastActive, g) });
  }

  /**
   * A source's pending 05→15 move (protocol §2.4), kept as is, unless its blinded user already exists:
   * then the move was made here (the row consumed when that user first appeared) or can no longer
   * happen, and a re-run of the import must not queue it again. Returns 1 when recorded.
   */
  async importNeedsBlinding(abs: string, userId: number): Promise<number> {
    if (await this.repo.findBySessionId(abs)) return 0;
    await this.repo.recordNeedsBlinding(userId, abs);
    return 1;
  }
}
