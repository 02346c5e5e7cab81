import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { actingAs, actorOf } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import { BotsService } from '../bots/bots.service';
import { MetricsService } from '../metrics/metrics.service';
import { ModerationService, type ModerationScope } from '../moderation/moderation.service';
import { MessagesService } from '../rooms/messages.service';
import { ReviewService } from '../rooms/review.service';
import { RoomsService } from '../rooms/rooms.service';
import { UsersService } from '../users/users.service';
import type { PluginConfig } from './plugin-config';
import { permissionFor, type PluginAction } from './plugin-events';
import { PluginHooks } from './plugin-hooks.service';

/** An action the plugin was not granted, or that needs a bot it does not have. */
class ActionDenied extends Error {}

/**
 * What a plugin may do (issue 16 item 2), each action checked against the permissions its config
 * grants and then done through the services the CLI uses, so the same rules apply. Its bot posts,
 * DMs and reacts as a user would; its moderation acts as the CLI does (the system user). Everything
 * runs under actingAs('plugin:NAME'), so the audit log names the plugin.
 */
@Injectable()
export class PluginActions implements OnApplicationBootstrap {
  private readonly logger = new Logger('Plugins');

  constructor(
    private readonly hooks: PluginHooks,
    private readonly bots: BotsService,
    private readonly moderation: ModerationService,
    private readonly messages: MessagesService,
    private readonly rooms: RoomsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly review: ReviewService,
  ) {}

  onApplicationBootstrap(): void {
    this.hooks.start((plugin, actions) => this.run(plugin, actions));
  }

  /** Runs the actions in order; one that is denied or fails is logged and counted, the rest still run. */
  async run(plugin: PluginConfig, actions: PluginAction[]): Promise<void> {
    for (const action of actions) {
      let outcome: 'done' | 'denied' | 'failed' = 'done';
      try {
        await actingAs(`plugin:${plugin.name}`, () => this.perform(plugin, action));
      } catch (err) {
        outcome = err instanceof ActionDenied ? 'denied' : 'failed';
        this.logger.warn(`plugin ${plugin.name}: ${action.action} ${outcome}: ${(err as Error).message}`);
      }
      this.metrics.pluginActions.inc({ plugin: plugin.name, action: action.action, outcome });
    }
  }

  private async perform(plugin: PluginConfig, a: PluginAction): Promise<void> {
    if (!plugin.permissions.includes(permissionFor(a.action))) throw new ActionDenied(`not granted "${permissionFor(a.action)}"`);
    switch (a.action) {
      case 'post': {
        const posted = await this.bots.post(this.botOf(plugin), a.room, a.text, { whisperTo: a.whisper_to ?? null, whisperMods: a.whisper_mods ?? false });
        const room = await this.moderation.roomByToken(a.room);
        await this.audit.record({ actor: actorOf(), action: 'plugin.post', room, target: String(posted.id) });
        return;
      }
      case 'dm': {
        await this.bots.dm(this.botOf(plugin), a.to, a.text);
        await this.audit.record({ actor: actorOf(), action: 'plugin.dm', target: a.to });
        return;
      }
      case 'react': {
        const { added } = await this.bots.react(this.botOf(plugin), a.room, a.message_id, a.reaction);
        if (added)
          await this.audit.record({
            actor: actorOf(),
            action: 'plugin.react',
            room: await this.moderation.roomByToken(a.room),
            target: String(a.message_id),
            details: { reaction: a.reaction },
          });
        return;
      }
      case 'delete': {
        const system = await this.users.getSystemUser();
        const access = await this.rooms.requireAccess(a.room, system, 'moderator');
        await this.messages.remove(access.room, access.permissions, system, a.message_id);
        return;
      }
      case 'approve':
      case 'reject': {
        const room = await this.moderation.roomByToken(a.room);
        if (!(await this.review.decide(room, a.message_id, a.action === 'approve'))) throw new Error('the message is neither held nor reported');
        return;
      }
      case 'ban':
        await this.moderation.ban(a.user, scopeOf(a), a.timeout ?? null);
        return;
      case 'unban':
        await this.moderation.unban(a.user, scopeOf(a));
        return;
      case 'mute':
        await this.moderation.mute(a.user, scopeOf(a), a.duration, a.reason ?? null);
        return;
      case 'unmute':
        await this.moderation.unmute(a.user, scopeOf(a));
        return;
      case 'note': {
        const room = a.room ? await this.moderation.roomByToken(a.room) : null;
        await this.audit.record({ actor: actorOf(), action: 'plugin.note', room, target: a.user ?? null, reason: a.text });
        return;
      }
      case 'permissions': {
        const room = await this.moderation.roomByToken(a.room);
        const flags = { read: a.read, write: a.write, upload: a.upload };
        // null: the flag goes back to the room's default (the override is cleared).
        const change = Object.fromEntries(Object.entries(flags).flatMap(([k, v]) => (v === undefined ? [] : v === null ? [[`default_${k}`, true]] : [[k, v]])));
        await this.moderation.setPermissions(room, a.user, change);
        // Timed: a future sets each changed flag back (protocol §6.7 futures hold values, not "default").
        if (a.timeout) {
          const undo = Object.fromEntries(Object.entries(flags).flatMap(([k, v]) => (typeof v === 'boolean' ? [[k, !v]] : [])));
          if (Object.keys(undo).length > 0) await this.moderation.schedulePermissions(room, a.user, undo, a.timeout);
        }
        return;
      }
    }
  }

  private botOf(plugin: PluginConfig): string {
    if (!plugin.bot) throw new ActionDenied('the plugin has no bot (config "bot")');
    return plugin.bot;
  }
}

function scopeOf(a: { room?: string; global?: true }): ModerationScope {
  return a.global ? { global: true } : { rooms: [a.room!] };
}
