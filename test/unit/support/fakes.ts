// Small stand-ins for the I/O a service is constructed with, so its rules run without a database,
// Redis or a server. Each fake implements the methods the service calls, with their real signatures.
import type { AuditRepository } from '../../../src/audit/audit.repository';
import { AuditService } from '../../../src/audit/audit.service';
import type { AuditEntry, AuditFilter, AuditRecord } from '../../../src/audit/audit.types';
import { loadConfig, type AppConfig } from '../../../src/config/config';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { Clock } from '../../../src/core/clock';
import type { Room, UserPermissionOverride } from '../../../src/generated/prisma/client';
import type { Tx } from '../../../src/rooms/rooms.repository';
import type { RateLimitStore, StoredPlace, StoredRefusal, StoredTake } from '../../../src/rate-limit/rate-limit.store';
import { PluginHooks } from '../../../src/plugins/plugin-hooks.service';
import type { PluginState } from '../../../src/plugins/plugin-state.service';
import type { JobsService } from '../../../src/jobs/jobs.service';
import type { ServerKey } from '../../../src/config/server-key';
import type { RedisService } from '../../../src/redis/redis.service';

/**
 * A fake typed as the class it replaces: every member it has is checked against the real one (a
 * fake class also declares `implements Pick<Real, …>`); the cast drops what the fake leaves out,
 * the real class's private members and the methods the service under test never calls.
 */
export function asFake<T>(fake: Partial<T>): T {
  return fake as T;
}

/** The transaction handle a fake repository hands to its callers; fakes never read it. */
const FAKE_TX = {} as Tx;

/** In-memory rows of a fake repository; a transaction that throws is rolled back, as PostgreSQL would. */
export abstract class InMemoryRows<S> {
  constructor(protected state: S) {}

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const before = structuredClone(this.state);
    try {
      return await work(FAKE_TX);
    } catch (err) {
      this.state = before;
      throw err;
    }
  }
}

/** A clock that stands still unless moved. */
export class FixedClock extends Clock {
  constructor(private ms = 1_800_000_000_000) {
    super();
  }

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

/** The defaults of every setting, with `overrides`; the required DATABASE_URL names nothing (no connection is made). */
export function unitConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return loadConfig({}, { DATABASE_URL: 'postgresql://unit-test.invalid/none', ...overrides });
}

/** Rate-limit points in memory, per key; `refunded` lists what was given back. */
export class MemoryRateLimitStore implements Pick<RateLimitStore, 'key' | 'consume' | 'refund'> {
  readonly used = new Map<string, number>();
  readonly refunded: StoredPlace[] = [];

  key(rule: string, subject: string): string {
    return `${rule}:${subject}`;
  }

  /** All or none, as the store's script: the first window over its limit refuses and nothing is taken. */
  async consume(takes: readonly StoredTake[]): Promise<StoredRefusal | null> {
    const index = takes.findIndex(({ place, limit }) => (this.used.get(place.key) ?? 0) + place.points > limit);
    if (index >= 0) return { index, retryMs: 1000 };
    for (const { place } of takes) this.used.set(place.key, (this.used.get(place.key) ?? 0) + place.points);
    return null;
  }

  async refund(place: StoredPlace): Promise<void> {
    this.refunded.push(place);
    this.used.set(place.key, (this.used.get(place.key) ?? 0) - place.points);
  }
}

/** A room row as the database holds it: everyone may read, access, write and upload (protocol §8 defaults). */
export function roomRow(fields: Pick<Room, 'id' | 'token'> & Partial<Room>): Room {
  return {
    name: fields.token,
    description: null,
    imageId: null,
    created: 0,
    messageSequence: 0,
    infoUpdates: 0,
    activeUsers: 0,
    read: true,
    accessible: true,
    write: true,
    heldMode: null,
    reportThreshold: null,
    approveEmoji: null,
    rejectEmoji: null,
    reportEmoji: null,
    newUserPosts: null,
    newUserAge: null,
    upload: true,
    policy: {},
    lockdownUntil: null,
    lockdownReason: null,
    ...fields,
  };
}

/** audit_log in memory: entries as inserted, with their time. */
export class FakeAuditLog implements Pick<AuditRepository, 'insert' | 'list' | 'prune'> {
  readonly entries: Array<AuditEntry & { at: number }> = [];

  async insert(at: number, entries: AuditEntry[]): Promise<void> {
    for (const e of entries) this.entries.push({ ...e, at });
  }

  async list(filter: AuditFilter, limit: number): Promise<AuditRecord[]> {
    return this.entries
      .map((e, i) => ({
        id: i + 1,
        at: e.at,
        actor: e.actor,
        action: e.action,
        room: e.room?.token ?? null,
        target: e.target ?? null,
        reason: e.reason ?? null,
        details: (e.details ?? null) as AuditRecord['details'],
      }))
      .filter((r) => (filter.room === undefined || r.room?.toLowerCase() === filter.room.toLowerCase()) && (filter.actor === undefined || r.actor === filter.actor))
      .filter((r) => (filter.target === undefined || r.target === filter.target) && (filter.action === undefined || r.action === filter.action))
      .filter((r) => (filter.since === undefined || r.at >= filter.since) && (filter.until === undefined || r.at <= filter.until))
      .reverse()
      .slice(0, limit);
  }

  async prune(before: number): Promise<number> {
    const kept = this.entries.filter((e) => e.at >= before);
    const removed = this.entries.length - kept.length;
    this.entries.splice(0, this.entries.length, ...kept);
    return removed;
  }
}

/** A real AuditService over a FakeAuditLog. */
/** The part of RedisService the audit log's refusal throttle uses: keys as given, SET … NX remembered (expiry not modelled). */
export function fakeRedisOnce(): RedisService {
  const keys = new Set<string>();
  const set = async (key: string): Promise<'OK' | null> => (keys.has(key) ? null : (keys.add(key), 'OK'));
  return asFake<RedisService>({
    key: (kind, ...parts) => [kind, ...parts].join(':'),
    pseudonym: (...subject) => subject.join(':'),
    client: { set } as unknown as RedisService['client'],
  });
}

export function fakeAudit(clock: Clock, config: AppConfig = unitConfig()): { audit: AuditService; log: FakeAuditLog } {
  const log = new FakeAuditLog();
  return { audit: new AuditService(asFake<AuditRepository>(log), clock, new MetricsService(), config, fakeRedisOnce()), log };
}

/** The real plugin hooks with no plugin started: every hook returns at once (issue 16). */
export function noPlugins(clock: Clock, config: AppConfig = unitConfig()): PluginHooks {
  return new PluginHooks(config, asFake<ServerKey>({}), clock, new MetricsService(), asFake<JobsService>({}), asFake<PluginState>({}));
}

/** A user_permission_overrides row that says nothing yet (every flag at its default), with `fields` over it. */
export function overrideRow(roomId: number, userId: number, fields: Partial<UserPermissionOverride> = {}): UserPermissionOverride {
  return {
    roomId,
    userId,
    banned: false,
    read: null,
    accessible: null,
    write: null,
    upload: null,
    moderator: false,
    admin: false,
    visibleMod: true,
    shadowBanned: false,
    trusted: false,
    mutedUntil: null,
    muteReason: null,
    ...fields,
  };
}
