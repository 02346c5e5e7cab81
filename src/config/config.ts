import { readFileSync } from 'node:fs';
import { configSchema, type AppConfig } from './config.schema';

export type { AppConfig } from './config.schema';

export class ConfigError extends Error {}

/**
 * The only reader of process.env. An optional CONFIG_FILE (JSON object of the same names) is read
 * first; the environment overrides it. The first invalid setting stops the start with one line.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof AppConfig, unknown>> = {}): AppConfig {
  let fromFile: Record<string, unknown> = {};
  if (env.CONFIG_FILE) {
    try {
      fromFile = JSON.parse(readFileSync(env.CONFIG_FILE, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`Invalid configuration: CONFIG_FILE ${env.CONFIG_FILE}: ${(err as Error).message}`);
    }
  }
  const raw: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  Object.assign(raw, overrides);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** The public URL clients join with (protocol §6.10); defaults to this machine's public port. */
export function baseUrl(config: AppConfig): string {
  return (config.BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

export const APP_CONFIG = Symbol('APP_CONFIG');
