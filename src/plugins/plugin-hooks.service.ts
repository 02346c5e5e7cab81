import { ForbiddenException, Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { Clock } from '../core/clock';
import { botIdentity, readBotKey } from '../bots/bot-keys';
import { decryptFromBlindedSender } from '../crypto';
import type { AuditActor } from '../audit/audit.types';
import type { Room } from '../generated/prisma/client';
import { JobName, type PluginNotifyData } from '../jobs/job-names';
import { JobsService } from '../jobs/jobs.service';
import type { StandingLookup } from '../moderation/standing.service';
import type { RoomPermissions } from '../rooms/permissions';
import { OnJob } from '../jobs/on-job.decorator';
import { MetricsService } from '../metrics/metrics.service';
import { foldText, readCommunityMessage, sessionText, unpad } from '../rooms/message-filter';
import type { PostDecision } from '../rooms/post-decision';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { listPluginNames, readPluginConfig, type PluginConfig } from './plugin-config';
import {
  DECISION_EVENTS,
  NOTIFICATION_EVENTS,
  PLUGIN_SCHEMA_VERSION,
  decisionAnswerSchema,
  notificationAnswerSchema,
  stricter,
  type Decision,
  type DecisionEventType,
  type EventFields,
  type EventType,
  type NotificationEventType,
  type PluginAction,
  type PluginEvent,
} from './plugin-events';
import { PluginFailure, type PluginHost } from './plugin-host';
import { PluginState } from './plugin-state.service';
import { WebhookPlugin } from './webhook-plugin';
import { WorkerPlugin } from './worker-plugin';

/** Runs the actions of an answer, each checked against what the plugin was granted (PluginActions). */
export type ActionRunner = (plugin: PluginConfig, actions: PluginAction[]) => Promise<void>;

interface LoadedPlugin {
  config: PluginConfig;
  host: PluginHost;
  kind: 'worker' | 'webhook';
  /** Its bot's blinded id: its own posts are not put to it (no loops), DMs to it are. */
  botSessionId: string | null;
  botSeed: Uint8Array | null;
}

/** The plugins' decision on a request and who made it (the audit actor `plugin:NAME`), a refusal aside (it throws). */
type Verdict = { decision: 'allow'; by: null } | { decision: 'silent' | 'hold'; by: AuditActor };

type Table<K extends string> = Record<K, LoadedPlugin[]>;
const table = <K extends string>(keys: readonly K[]): Table<K> => Object.fromEntries(keys.map((k) => [k, []])) as unknown as Table<K>;

/**
 * The plugin hooks (issue 16 item 1): each path calls one method here. With no plugin for a hook the
 * method returns at once, before building anything. Decision hooks ask each plugin in name order
 * with PLUGIN_DEADLINE; a plugin that times out or fails counts as its default decision, so a
 * plugin never fails a request. Notifications never block: worker plugins are told directly,
 * webhooks through the `plugins` queue (retried with back-off).
 */
@Injectable()
export class PluginHooks implements OnModuleDestroy {
  private readonly logger = new Logger('Plugins');
  private readonly loaded = new Map<string, LoadedPlugin>();
  private deciders = table(DECISION_EVENTS);
  private notified = table(NOTIFICATION_EVENTS);
  /** Plugins by the blinded id of their bot, for DMs to it. */
  private botPlugins = new Map<string, LoadedPlugin[]>();
  private readonly configErrors = new Map<string, string>();
  private runner: ActionRunner | null = null;
  private reloadTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly jobs: JobsService,
    private readonly state: PluginState,
  ) {}

  /**
   * Loads the enabled plugins and watches PLUGINS_DIR for changes. Called by the server's plugins
   * module (never by the CLI, which must not start plugin workers), with what runs their actions.
   */
  start(runner: ActionRunner): void {
    this.runner = runner;
    this.reload();
    if (this.config.PLUGIN_RELOAD_INTERVAL > 0) {
      this.reloadTimer = setInterval(() => this.reload(), this.config.PLUGIN_RELOAD_INTERVAL * 1000);
      this.reloadTimer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    await Promise.all([...this.loaded.values()].map((p) => p.host.close()));
    this.loaded.clear();
    this.rebuild();
  }

  /** The enabled plugins now loaded, by name. */
  active(): string[] {
    return [...this.loaded.keys()].sort();
  }

  /** Re-reads PLUGINS_DIR: starts new and changed enabled plugins, stops removed and disabled ones. */
  reload(): void {
    const wanted = new Map<string, PluginConfig>();
    for (const name of listPluginNames(this.config.PLUGINS_DIR)) {
      try {
        const config = readPluginConfig(this.config.PLUGINS_DIR, name);
        this.configErrors.delete(name);
        if (config.enabled) wanted.set(name, config);
      } catch (err) {
        const message = (err as Error).message;
        if (this.configErrors.get(name) !== message) this.logger.warn(`plugin ${name} not loaded: ${message}`);
        this.configErrors.set(name, message);
        // A broken edit of a running plugin's file keeps the plugin as it was.
        const running = this.loaded.get(name);
        if (running) wanted.set(name, running.config);
      }
    }
    let changed = false;
    for (const [name, p] of this.loaded) {
      if (wanted.get(name)?.version === p.config.version) continue;
      void p.host.close();
      this.loaded.delete(name);
      changed = true;
      this.logger.log(`plugin ${name} stopped`);
    }
    for (const [name, config] of wanted) {
      if (this.loaded.has(name)) continue;
      this.loaded.set(name, this.load(config));
      changed = true;
      this.logger.log(`plugin ${name} started (${config.webhook ? 'webhook' : 'worker'}, default ${config.default})`);
    }
    if (changed) this.rebuild();
  }

  private load(config: PluginConfig): LoadedPlugin {
    const host: PluginHost = config.webhook
      ? new WebhookPlugin({
          name: config.name,
          url: config.webhook,
          secret: config.secret!,
          now: () => Math.floor(this.clock.seconds()),
          signatureWindow: this.config.PLUGIN_SIGNATURE_WINDOW,
          answerMaxBytes: this.config.PLUGIN_ANSWER_MAX_BYTES,
        })
      : new WorkerPlugin({
          name: config.name,
          modulePath: config.modulePath!,
          settings: config.settings ?? {},
          memoryMb: this.config.PLUGIN_MEMORY_LIMIT,
          restartDelayMs: this.config.PLUGIN_RESTART_DELAY * 1000,
          restartMaxDelayMs: this.config.PLUGIN_RESTART_MAX_DELAY * 1000,
          log: (level, message) => this.logger[level](message),
          onRestart: () => this.metrics.pluginRestarts.inc({ plugin: config.name }),
          state: (op) => this.state.run(config.name, op),
          stateConcurrency: this.config.PLUGIN_STATE_CONCURRENCY,
        });
    let botSessionId: string | null = null;
    let botSeed: Uint8Array | null = null;
    if (config.bot) {
      const key = readBotKey(this.config.BOTS_DIR, config.bot);
      if (key) {
        botSessionId = botIdentity(key, this.serverKey.publicKey).sessionId;
        botSeed = key.seed;
      } else this.logger.warn(`plugin ${config.name}: no bot named "${config.bot}" in BOTS_DIR`);
    }
    return { config, host, kind: config.webhook ? 'webhook' : 'worker', botSessionId, botSeed };
  }

  private rebuild(): void {
    const all = [...this.loaded.values()].sort((a, b) => (a.config.name < b.config.name ? -1 : 1));
    const wants = (p: LoadedPlugin, type: EventType) => !p.config.events || p.config.events.includes(type);
    const deciders = table(DECISION_EVENTS);
    for (const type of DECISION_EVENTS) deciders[type] = all.filter((p) => wants(p, type));
    const notified = table(NOTIFICATION_EVENTS);
    for (const type of NOTIFICATION_EVENTS) notified[type] = all.filter((p) => wants(p, type));
    const bots = new Map<string, LoadedPlugin[]>();
    for (const p of deciders['before-bot-dm']) if (p.botSessionId) bots.set(p.botSessionId, [...(bots.get(p.botSessionId) ?? []), p]);
    this.deciders = deciders;
    this.notified = notified;
    this.botPlugins = bots;
  }

  // ---- decision hooks: one per path

  /** Before a post is stored: the posting rules' decision, made stricter by the plugins' (a refusal is a 403 with its reason). */
  beforePost(
    decision: PostDecision,
    room: Room,
    user: AuthenticatedUser,
    msg: { data: Uint8Array; files: number[]; whisperTo: string | null; whisperMods: boolean },
    permissions: Pick<RoomPermissions, 'moderator' | 'trusted'>,
    standingOf: StandingLookup,
  ): PostDecision | Promise<PostDecision> {
    if (this.deciders['before-post'].length === 0) return decision;
    return this.decidePost(decision, room, user, msg, permissions, standingOf);
  }

  private async decidePost(
    decision: PostDecision,
    room: Room,
    user: AuthenticatedUser,
    msg: { data: Uint8Array; files: number[]; whisperTo: string | null; whisperMods: boolean },
    permissions: Pick<RoomPermissions, 'moderator' | 'trusted'>,
    standingOf: StandingLookup,
  ): Promise<PostDecision> {
    const read = readCommunityMessage(msg.data);
    const standing = await standingOf().then(
      (s) => ({ moderator: s.moderator, trusted: s.trusted, new_user: s.newUser }),
      // Without it the plugins still decide; they are told it is unknown.
      () => null,
    );
    const fields = {
      room: room.token,
      author: user.sessionId,
      text: read?.body ?? null,
      folded: read ? foldText(read.body) : null,
      display_name: read?.displayName || null,
      standing,
      moderator: permissions.moderator,
      files: msg.files,
      whisper: msg.whisperTo !== null || msg.whisperMods,
    };
    const plugins = await this.decide('before-post', fields, user.sessionId);
    // The stricter decision wins, under its maker's name; on a tie the posting rules keep it.
    if (plugins.decision === 'allow' || stricter(decision.action, plugins.decision) === decision.action) return decision;
    return { action: plugins.decision, by: plugins.by };
  }

  /** Before a reaction is added: true when it is to be stored hidden (silent or hold), throws on a refusal. */
  beforeReaction(room: Room, user: AuthenticatedUser, messageId: number, reaction: string): boolean | Promise<boolean> {
    if (this.deciders['before-reaction'].length === 0) return false;
    return this.decide('before-reaction', { room: room.token, user: user.sessionId, message_id: messageId, reaction }, user.sessionId).then((d) => d.decision !== 'allow');
  }

  /** Before an upload is stored (room or file server): only a refusal changes anything (docs/plugins.md). */
  beforeUpload(room: Pick<Room, 'token'> | null, user: AuthenticatedUser | null, sha256: Uint8Array, size: number): void | Promise<void> {
    if (this.deciders['before-upload'].length === 0) return;
    const fields = { room: room?.token ?? null, user: user?.sessionId ?? null, sha256: Buffer.from(sha256).toString('hex'), size };
    return this.decide('before-upload', fields, user?.sessionId ?? null).then(() => undefined);
  }

  /**
   * Before a DM to one of the plugins' bots is stored: the plugins of that bot get it opened with
   * its key. 'silent': answered as delivered, not stored; a refusal is a 403 with its reason.
   */
  beforeBotDm(sender: AuthenticatedUser, recipient: string, body: Uint8Array): 'allow' | 'silent' | Promise<'allow' | 'silent'> {
    if (this.botPlugins.size === 0) return 'allow';
    const plugins = this.botPlugins.get(recipient.toLowerCase());
    if (!plugins) return 'allow';
    let opened: { body: string; displayName: string; senderSessionId: string };
    try {
      const { plaintext, senderSessionId } = decryptFromBlindedSender(plugins[0].botSeed!, this.serverKey.publicKey, sender.sessionId, body);
      opened = { ...sessionText(unpad(plaintext)), senderSessionId };
    } catch {
      // Not a blinded message to the bot: stored as any DM, as a client would drop it.
      return 'allow';
    }
    const fields = { bot: plugins[0].config.bot!, sender: sender.sessionId, sender_session_id: opened.senderSessionId, text: opened.body, display_name: opened.displayName };
    return this.decide('before-bot-dm', fields, sender.sessionId, plugins).then((d) => (d.decision === 'silent' ? 'silent' : 'allow'));
  }

  private event<T extends EventType>(type: T, fields: EventFields[T]): PluginEvent {
    return { version: PLUGIN_SCHEMA_VERSION, id: randomUUID(), type, at: Math.floor(this.clock.seconds()), ...fields } as PluginEvent;
  }

  /** The strictest of the plugins' answers and who gave it first (`plugin:NAME`, the audit actor; null: all allowed). */
  private async decide<T extends DecisionEventType>(type: T, fields: EventFields[T], author: string | null, plugins: LoadedPlugin[] = this.deciders[type]): Promise<Verdict> {
    const event = this.event(type, fields);
    let verdict: Verdict = { decision: 'allow', by: null };
    for (const p of plugins) {
      if (author !== null && p.botSessionId === author) continue;
      const answer = await this.ask(p, event);
      if (answer.decision === 'refuse') throw new ForbiddenException(answer.reason ?? 'Refused');
      if (answer.decision === 'allow' || stricter(verdict.decision, answer.decision) === verdict.decision) continue;
      verdict = { decision: answer.decision, by: `plugin:${p.config.name}` };
    }
    return verdict;
  }

  private async ask(p: LoadedPlugin, event: PluginEvent): Promise<{ decision: Decision; reason?: string }> {
    const started = performance.now();
    const plugin = p.config.name;
    try {
      const raw = await p.host.call(event, this.config.PLUGIN_DEADLINE * 1000);
      const parsed = decisionAnswerSchema.safeParse(raw);
      if (!parsed.success) throw new PluginFailure('invalid', `invalid answer: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      this.metrics.pluginCalls.inc({ plugin, event: event.type, outcome: parsed.data.decision });
      if (parsed.data.actions?.length) this.act(p, parsed.data.actions);
      return parsed.data;
    } catch (err) {
      const kind = err instanceof PluginFailure ? err.kind : 'error';
      this.metrics.pluginCalls.inc({ plugin, event: event.type, outcome: kind });
      this.logger.warn(`plugin ${plugin}: ${event.type} ${kind} (${(err as Error).message}); took its default decision (${p.config.default})`);
      return { decision: p.config.default };
    } finally {
      this.metrics.pluginDuration.observe({ plugin, event: event.type }, (performance.now() - started) / 1000);
    }
  }

  private act(p: LoadedPlugin, actions: PluginAction[]): void {
    if (!this.runner) return;
    this.runner(p.config, actions).catch((err: Error) => this.logger.warn(`plugin ${p.config.name}: actions failed: ${err.message}`));
  }

  // ---- notification hooks

  /** A post was stored (held or not; a silently filtered or shadow-hidden one is not told). */
  posted(room: Room, user: AuthenticatedUser, m: { id: number; seqno: number; data: Uint8Array; whisper: boolean; held: boolean }): void {
    if (this.notified.posted.length === 0) return;
    const text = readCommunityMessage(m.data)?.body ?? null;
    this.notify('posted', { room: room.token, author: user.sessionId, message_id: m.id, seqno: m.seqno, text, whisper: m.whisper, held: m.held }, user.sessionId);
  }

  /** A message was edited by its author. */
  edited(room: Room, user: AuthenticatedUser, id: number, data: Uint8Array): void {
    if (this.notified.edited.length === 0) return;
    this.notify('edited', { room: room.token, author: user.sessionId, message_id: id, text: readCommunityMessage(data)?.body ?? null }, user.sessionId);
  }

  /** A message was deleted, by its author or a moderator. */
  deleted(room: Room, m: { id: number; sessionId: string }, by: AuthenticatedUser): void {
    if (this.notified.deleted.length === 0) return;
    this.notify('deleted', { room: room.token, message_id: m.id, author: m.sessionId, by: by.sessionId }, null);
  }

  /** A reaction was added: told as `reacted` when others see it, as `report` when it is a report (issue 14). */
  reacted(room: Room, user: AuthenticatedUser, id: number, reaction: string, how: 'visible' | 'hidden' | 'report'): void {
    if (how === 'report') {
      if (this.notified.report.length > 0) this.notify('report', { room: room.token, reporter: user.sessionId, message_id: id, reason: null }, user.sessionId);
      return;
    }
    if (how === 'hidden' || this.notified.reacted.length === 0) return;
    this.notify('reacted', { room: room.token, user: user.sessionId, message_id: id, reaction }, user.sessionId);
  }

  /** A user's first request in a room (or the first after their activity there was pruned or cleared by a ban). */
  firstRequest(room: Room, user: AuthenticatedUser): void {
    if (this.notified['first-request-in-room'].length === 0) return;
    this.notify('first-request-in-room', { room: room.token, user: user.sessionId }, user.sessionId);
  }

  /** A ban or unban was made, in the listed rooms (null: server-wide); `by` is the audit actor. */
  banChanged(change: { banned: true; timeout: number | null; shadow: boolean } | { banned: false }, rooms: Array<Pick<Room, 'token'>> | null, user: string, by: string): void {
    const type = change.banned ? 'banned' : 'unbanned';
    if (this.notified[type].length === 0) return;
    for (const room of rooms ?? [null]) {
      if (change.banned) this.notify('banned', { room: room?.token ?? null, user, by, timeout: change.timeout, shadow: change.shadow });
      else this.notify('unbanned', { room: room?.token ?? null, user, by });
    }
  }

  /** Tells the plugins that want `type`; returns at once (never awaited by a request). */
  notify<T extends NotificationEventType>(type: T, fields: EventFields[T], author: string | null = null): void {
    const plugins = this.notified[type];
    if (plugins.length === 0) return;
    const event = this.event(type, fields);
    for (const p of plugins) {
      if (author !== null && p.botSessionId === author) continue;
      if (p.kind === 'worker') {
        void this.deliver(p, event).catch(() => undefined);
        continue;
      }
      const data: PluginNotifyData = { plugin: p.config.name, event };
      this.jobs
        .add(JobName.PluginNotify, data, { jobId: `${JobName.PluginNotify}-${p.config.name}-${event.id}` })
        .catch((err: Error) => this.logger.warn(`plugin ${p.config.name}: ${type} not queued: ${err.message}`));
    }
  }

  /** A queued notification for a webhook plugin; a failure throws, so the job is retried with back-off. */
  @OnJob(JobName.PluginNotify)
  async deliverQueued(data: PluginNotifyData): Promise<void> {
    const p = this.loaded.get(data.plugin);
    // Disabled or removed since: the notification is dropped, as it would not be sent now.
    if (!p) return;
    await this.deliver(p, data.event as PluginEvent);
  }

  private async deliver(p: LoadedPlugin, event: PluginEvent): Promise<void> {
    const plugin = p.config.name;
    try {
      const raw = await p.host.call(event, this.config.PLUGIN_NOTIFY_TIMEOUT * 1000);
      const parsed = notificationAnswerSchema.safeParse(raw);
      if (!parsed.success) throw new PluginFailure('invalid', 'invalid answer');
      this.metrics.pluginCalls.inc({ plugin, event: event.type, outcome: 'ok' });
      if (parsed.data?.actions?.length) this.act(p, parsed.data.actions);
    } catch (err) {
      const kind = err instanceof PluginFailure ? err.kind : 'error';
      this.metrics.pluginCalls.inc({ plugin, event: event.type, outcome: kind });
      this.logger.warn(`plugin ${plugin}: ${event.type} notification ${kind} (${(err as Error).message})`);
      throw err;
    }
  }
}
