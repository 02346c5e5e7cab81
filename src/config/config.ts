import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { configSchema, type AppConfig } from './config.schema';

export type { AppConfig } from './config.schema';

export class ConfigError extends Error {}

/** Settings naming files or folders: relative ones are relative to the installation (see installDir). */
const PATH_SETTINGS = ['KEY_FILE', 'MASTER_KEY_FILE', 'STORAGE_DIR', 'PLUGINS_DIR'] as const;

/**
 * The directory holding this package's package.json (found upwards from this file: src/ under jest,
 * dist/src/ when built). Relative paths of the configuration resolve against it, so the server and
 * the CLI find the same key and files whatever directory either is started from.
 */
export function installDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'prisma'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/**
 * The only reader of process.env. An optional CONFIG_FILE (JSON object of the same names) is read
 * first; the environment overrides it. The first invalid setting stops the start with one sentence.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof AppConfig, unknown>> = {}): AppConfig {
  let fromFile: Record<string, unknown> = {};
  if (env.CONFIG_FILE) {
    try {
      fromFile = JSON.parse(readFileSync(env.CONFIG_FILE, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`CONFIG_FILE ${env.CONFIG_FILE} cannot be read as JSON: ${(err as Error).message}`);
    }
  }
  const raw: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  Object.assign(raw, overrides);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error.issues[0], raw));
  const config = parsed.data;
  const base = installDir();
  for (const key of PATH_SETTINGS) config[key] = resolve(base, config[key]);
  config.MASTER_KEY_OLD_FILES = config.MASTER_KEY_OLD_FILES.split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => (isAbsolute(p) ? p : resolve(base, p)))
    .join(',');
  return config;
}

/** A validation issue as a sentence an admin can act on: the variable, what it holds, what it takes. */
function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const name = issue.path.join('.');
  const value = raw[name];
  const where = '(see the configuration table in README.md)';
  if (value === undefined) return `${name} is not set: it is required ${where}`;
  return `${name} is ${JSON.stringify(value)}, which is not valid: it must be ${expectation(issue)} ${where}`;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : issue.expected === 'number' ? 'a number' : `a ${issue.expected}`;
    case 'too_big':
      return `at most ${String(issue.maximum)}`;
    case 'too_small':
      return typeof issue.minimum === 'number' && issue.origin === 'string' ? 'not empty' : `at least ${String(issue.minimum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'a URL (e.g. https://sogs.example.org)' : `in ${issue.format} format`;
    case 'invalid_union':
      // A schema's own message says it best (API_WORKERS); the booleans are the other unions.
      return issue.message !== 'Invalid input' ? issue.message.replace(/^expected /, '') : 'true or false (also 1/0, yes/no, on/off)';
    default:
      return issue.message;
  }
}

/** The public URL clients join with (protocol §6.10); defaults to this machine's public port. */
export function baseUrl(config: AppConfig): string {
  return (config.BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

export const APP_CONFIG = Symbol('APP_CONFIG');
