import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { databaseTimeouts } from '../database/prisma.service';

/** The channel the database triggers announce changes on (migration 20261129090000). */
export const CHANGE_CHANNEL = 'scs_changes';
/** application_name of the listening connection. */
export const CHANGE_FEED_APPLICATION = 'scs-change-feed';

/** A committed change to something the poll-path caches hold. */
export type Change =
  | { kind: 'room'; roomId: number }
  | { kind: 'rooms' }
  | { kind: 'override'; roomId: number; userId: number }
  | { kind: 'user'; userId: number }
  | { kind: 'inbox'; recipientId: number; senderId: number };

/** What subscribers hear: a change, or `reset` when changes may have been missed (forget everything). */
export type ChangeEvent = Change | { kind: 'reset' };

const PAYLOAD = /^(?:([ru])(\d{1,10})|R|([oi])(\d{1,10}):(\d{1,10}))$/;

/** The trigger payloads; null for anything else (a newer server's payload is ignored, not misread). */
export function parseChange(payload: string): Change | null {
  const m = PAYLOAD.exec(payload);
  if (!m) return null;
  if (payload === 'R') return { kind: 'rooms' };
  if (m[1] === 'r') return { kind: 'room', roomId: Number(m[2]) };
  if (m[1] === 'u') return { kind: 'user', userId: Number(m[2]) };
  const a = Number(m[4]);
  const b = Number(m[5]);
  return m[3] === 'o' ? { kind: 'override', roomId: a, userId: b } : { kind: 'inbox', recipientId: a, senderId: b };
}

const RECONNECT_MIN_MS = 100;
/** A barrier not heard back by then lets the request go on (the feed is then about to be lost). */
const SYNC_TIMEOUT_MS = 2_000;
const RECONNECT_MAX_MS = 5_000;

/**
 * Listens to the database's change notifications (LISTEN on a connection of its own) so that every
 * replica's caches forget what another replica, the CLI or an admin's SQL changed. Caches may only
 * keep what they load while the feed is `live`; each (re)connect and each loss of the connection
 * bumps `epoch` and tells subscribers to reset, so nothing loaded across a gap is kept.
 * Connects on first use: processes that never serve a poll (CLI commands) never open it.
 */
@Injectable()
export class ChangeFeed implements OnModuleDestroy {
  private readonly logger = new Logger('ChangeFeed');
  private readonly listeners: Array<(event: ChangeEvent) => void> = [];
  private client: Client | null = null;
  private started = false;
  private closed = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Bumped whenever the set of changes heard may have a gap; loads started in another epoch are not kept. */
  epoch = 0;
  private isLive = false;
  /** Barrier tokens this process sent and waits to hear back (see sync). */
  private readonly syncWaiters = new Map<string, () => void>();
  private readonly syncPrefix = `S${randomBytes(6).toString('hex')}.`;
  private syncSeq = 0;
  private nextRound: Promise<void> | null = null;
  /** The last barrier query sent on `client`: the next waits for it (pg@9 refuses overlapping queries). */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Whether caching is on (CACHE_TTL > 0). */
  get enabled(): boolean {
    return this.config.CACHE_TTL > 0;
  }

  /** True while changes are being heard; starts listening on first call. */
  get live(): boolean {
    if (!this.started && this.enabled && !this.closed) {
      this.started = true;
      void this.connect();
    }
    return this.isLive;
  }

  /**
   * Resolves once every change committed before the call has been heard and applied: a barrier,
   * for read-your-writes in this process (notifications arrive in commit order, so hearing a
   * notification sent now means all earlier ones were heard). At once when not live. Calls share
   * one notification until it is sent: it goes after the event-loop turn of the first call, and
   * not before the previous one was answered.
   */
  sync(): Promise<void> {
    if (!this.isLive || !this.client) return Promise.resolve();
    if (!this.nextRound) {
      const round: Promise<void> = this.roundTrip(() => {
        if (this.nextRound === round) this.nextRound = null;
      });
      this.nextRound = round;
    }
    return this.nextRound;
  }

  /** One barrier; `seal` ends the joining of it, once its notification is sent (or it gives up). */
  private async roundTrip(seal: () => void): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const client = this.client;
    if (!this.isLive || !client) return seal();
    const token = this.syncPrefix + ++this.syncSeq;
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<void>((resolve) => {
      this.syncWaiters.set(token, resolve);
      timer = setTimeout(resolve, SYNC_TIMEOUT_MS);
    });
    // One query at a time on the listening connection (pg@9 refuses a query sent while one runs);
    // a barrier queued behind one the database does not answer still gives up at the timeout.
    const sent = this.sending.then(() => {
      seal();
      return client.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, token]);
    });
    this.sending = sent.catch(() => undefined);
    try {
      await Promise.race([sent, heard]);
      await heard;
    } catch {
      // The connection is going: its loss resets every cache, which is what the barrier was for.
    } finally {
      seal();
      clearTimeout(timer);
      this.syncWaiters.delete(token);
    }
  }

  subscribe(listener: (event: ChangeEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: ChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private lose(): void {
    this.isLive = false;
    this.epoch++;
    this.emit({ kind: 'reset' });
    for (const resolve of this.syncWaiters.values()) resolve();
  }

  private async connect(): Promise<void> {
    this.retryTimer = null;
    if (this.closed) return;
    // Named, so an admin can tell it apart in pg_stat_activity.
    // No statement timeout: LISTEN waits by design; a barrier sent on it gives up after its own timeout.
    const { connectionTimeoutMillis, keepAlive } = databaseTimeouts(this.config);
    const client = new Client({ connectionString: this.config.DATABASE_URL, application_name: CHANGE_FEED_APPLICATION, connectionTimeoutMillis, keepAlive });
    this.client = client;
    this.sending = Promise.resolve();
    let failed = false;
    const fail = (err?: Error) => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
      if (this.isLive) this.logger.warn(`change notifications lost (${err?.message ?? 'connection ended'}); caches bypassed until reconnected`);
      this.lose();
      this.scheduleReconnect();
    };
    client.on('error', fail);
    client.on('end', () => fail());
    client.on('notification', (msg) => {
      if (msg.channel !== CHANGE_CHANNEL || msg.payload === undefined) return;
      const waiter = this.syncWaiters.get(msg.payload);
      if (waiter) return waiter();
      const change = parseChange(msg.payload);
      if (change) this.emit(change);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      fail(err as Error);
      return;
    }
    if (failed || this.closed) return;
    // Anything cached before this moment may have missed changes.
    this.epoch++;
    this.emit({ kind: 'reset' });
    this.isLive = true;
    this.retryMs = RECONNECT_MIN_MS;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.isLive = false;
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }
}
