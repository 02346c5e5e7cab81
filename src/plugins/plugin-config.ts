import { chmodSync, existsSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_DECISIONS, EVENT_TYPES, PERMISSIONS } from './plugin-events';

/*
 * Each plugin's configuration is one file, PLUGINS_DIR/NAME.json (mode 0600: it may hold the
 * webhook secret), read by the server and written by `plugins enable|disable`. A file, not a table:
 * an in-process plugin's module lives in the same directory, and the two travel together.
 */

export const PLUGIN_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** A loopback host: the only one a webhook may be reached on over plain HTTP. */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A webhook URL: HTTPS, or HTTP to a loopback address (nothing else crosses a network in clear). */
export const webhookUrl = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname));
    } catch {
      return false;
    }
  },
  { message: 'must be an https:// URL, or http:// to a loopback address' },
);

export const pluginConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** In-process: a JavaScript module, relative to PLUGINS_DIR (default NAME.js). */
    module: z.string().min(1).optional(),
    /** Out of process: where events are POSTed, signed with `secret`. */
    webhook: webhookUrl.optional(),
    secret: z.string().min(16, 'a webhook secret needs at least 16 characters').optional(),
    /** The decision taken when the plugin times out, fails or is restarting. */
    default: z.enum(DEFAULT_DECISIONS).default('allow'),
    /** The actions it may take (docs/plugins.md); none unless granted. */
    permissions: z.array(z.enum(PERMISSIONS)).default([]),
    /** The bot (BOTS_DIR) it posts, DMs and reacts as, and whose DMs it receives. */
    bot: z.string().optional(),
    /** The events it receives; all when absent. */
    events: z.array(z.enum(EVENT_TYPES)).optional(),
    /** The plugin's own settings (e.g. which rooms a shipped bot acts in), given to a worker module as workerData.settings. */
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((c) => !(c.module && c.webhook), { message: 'give either module or webhook, not both' })
  .refine((c) => !c.webhook || c.secret, { message: 'a webhook needs a secret', path: ['secret'] });

export type PluginConfigFile = z.infer<typeof pluginConfigSchema>;

export interface PluginConfig extends PluginConfigFile {
  name: string;
  /** Absolute path of the worker module, or null for a webhook plugin. */
  modulePath: string | null;
  /** mtime of the config file (and module), to notice changes */
  version: string;
}

export class PluginConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginConfigError';
  }
}

function configPath(dir: string, name: string): string {
  if (!PLUGIN_NAME.test(name)) throw new PluginConfigError(`plugin name "${name}" must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit`);
  return join(dir, `${name}.json`);
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** One plugin's configuration; throws PluginConfigError naming the file and the problem. */
export function readPluginConfig(dir: string, name: string): PluginConfig {
  const path = configPath(dir, name);
  if (!existsSync(path)) throw new PluginConfigError(`No plugin named "${name}" (${path} does not exist)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PluginConfigError(`${path}: not JSON (${(err as Error).message})`);
  }
  const parsed = pluginConfigSchema.safeParse(raw);
  if (!parsed.success) throw new PluginConfigError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'config'} ${i.message}`).join('; ')}`);
  const file = parsed.data;
  const modulePath = file.webhook ? null : resolveIn(dir, file.module ?? `${name}.js`);
  return { ...file, name, modulePath, version: `${mtime(path)}:${modulePath ? mtime(modulePath) : 0}` };
}

function resolveIn(dir: string, path: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}

/** Names of the plugins configured in `dir`, sorted (the order their decision hooks are called in). */
export function listPluginNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .filter((n) => PLUGIN_NAME.test(n))
    .sort();
}

/** Rewrites a plugin's file with `change` applied to its JSON, keeping everything else as written. */
function rewritePluginConfig(dir: string, name: string, change: (raw: Record<string, unknown>) => Record<string, unknown>): PluginConfig {
  readPluginConfig(dir, name);
  const path = configPath(dir, name);
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const next = change(raw);
  // Checked before it is written: a bad change leaves the file as it was.
  const parsed = pluginConfigSchema.safeParse(next);
  if (!parsed.success) throw new PluginConfigError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'config'} ${i.message}`).join('; ')}`);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  // A rename, so a server reading the file never sees half of it.
  renameSync(tmp, path);
  return readPluginConfig(dir, name);
}

/** `plugins enable|disable`: rewrites the file's `enabled`. */
export function setPluginEnabled(dir: string, name: string, enabled: boolean): PluginConfig {
  return rewritePluginConfig(dir, name, (raw) => ({ ...raw, enabled }));
}

/** `plugins rooms`: adds and removes rooms in the list `settings.rooms` (the rooms a shipped bot acts in). */
export function setPluginRooms(dir: string, name: string, change: { add: string[]; remove: string[] }): PluginConfig {
  const bad = [...change.add, ...change.remove].find((r) => !/^[\w-]{1,64}$/.test(r));
  if (bad !== undefined) throw new PluginConfigError(`"${bad}" is not a room token (1-64 letters, digits, _ or -)`);
  return rewritePluginConfig(dir, name, (raw) => {
    const settings = raw.settings && typeof raw.settings === 'object' ? (raw.settings as Record<string, unknown>) : {};
    const rooms = Array.isArray(settings.rooms) ? settings.rooms.filter((r): r is string => typeof r === 'string') : [];
    const next = [...new Set([...rooms, ...change.add])].filter((r) => !change.remove.includes(r));
    return { ...raw, settings: { ...settings, rooms: next } };
  });
}
