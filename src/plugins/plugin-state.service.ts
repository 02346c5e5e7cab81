import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { RedisService } from '../redis/redis.service';
import { PluginStateStore, type StoredEntry } from './plugin-state.store';

const key = z.string().min(1).max(256);
const seconds = z.number().positive();

/** What a worker plugin's `state` object asks for (docs/plugins.md "State"); checked here, at the edge. */
export const stateOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('get'), key }),
  z.object({ op: z.literal('set'), key, value: z.unknown(), ttl: seconds }),
  z.object({ op: z.literal('delete'), key }),
  z.object({ op: z.literal('incr'), key, ttl: seconds, by: z.number().int().min(-1e9).max(1e9).default(1) }),
  z.object({ op: z.literal('append'), key, value: z.unknown(), window: seconds }),
  z.object({ op: z.literal('recent'), key, window: seconds }),
]);
export type StateOp = z.infer<typeof stateOpSchema>;

/** An operation the server refuses: the plugin's call fails with this message. */
export class StateRefused extends Error {}

/**
 * Plugin state shared by every process and replica (issue 16): a plugin's keys live in Redis under
 * its name, each key a pseudonym (the plugin's keys usually name a user), each value JSON of at most
 * PLUGIN_STATE_VALUE_MAX_BYTES, kept at most PLUGIN_STATE_MAX_TTL.
 */
@Injectable()
export class PluginState {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly store: PluginStateStore,
  ) {}

  /** Runs one operation of `plugin`; its answer is JSON (null for an absent key). */
  async run(plugin: string, raw: unknown): Promise<unknown> {
    const parsed = stateOpSchema.safeParse(raw);
    if (!parsed.success) throw new StateRefused(`invalid state operation: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'op'} ${i.message}`).join('; ')}`);
    const op = parsed.data;
    const k = this.redis.key('pstate', plugin, this.redis.pseudonym(plugin, op.key));
    switch (op.op) {
      case 'get': {
        const json = await this.store.get(k);
        return json === null ? null : (JSON.parse(json) as unknown);
      }
      case 'set':
        await this.store.set(k, this.json(op.value), this.ms(op.ttl));
        return null;
      case 'delete':
        return this.store.delete(k);
      case 'incr':
        return this.store.incr(k, op.by, this.ms(op.ttl));
      case 'append':
        return values(await this.store.append(k, this.json(op.value), this.ms(op.window), this.config.PLUGIN_STATE_LIST_MAX));
      case 'recent':
        return values(await this.store.recent(k, this.ms(op.window)));
    }
  }

  private json(value: unknown): string {
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new StateRefused('a state value must be JSON');
    const max = this.config.PLUGIN_STATE_VALUE_MAX_BYTES;
    if (Buffer.byteLength(json) > max) throw new StateRefused(`a state value is at most ${max} bytes as JSON (PLUGIN_STATE_VALUE_MAX_BYTES)`);
    return json;
  }

  private ms(seconds: number): number {
    const max = this.config.PLUGIN_STATE_MAX_TTL;
    if (seconds > max) throw new StateRefused(`a state TTL or window is at most ${max} s (PLUGIN_STATE_MAX_TTL)`);
    return Math.ceil(seconds * 1000);
  }
}

function values(entries: StoredEntry[]): Array<{ at: number; value: unknown }> {
  return entries.map((e) => ({ at: e.at, value: JSON.parse(e.json) as unknown }));
}
