import type { Command } from 'commander';
import type { AppConfig } from '../../config/config';
import { configSchema } from '../../config/config.schema';
import type { CliContext } from '../context';
import { UsageError } from '../io';

/** Values never printed by `config show` (they are secrets); `config get` prints them when asked by name. */
const SECRETS = new Set<keyof AppConfig>(['S3_SECRET_KEY']);

/** Every setting is a string, number or boolean once parsed. */
function scalar(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A URL's password replaced by `***`. */
function maskUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/**
 * `config show|get`: the configuration as the server and the CLI both read it (environment,
 * CONFIG_FILE, defaults; relative paths resolved), so scripts such as serve.sh use the one set of
 * defaults instead of a copy.
 */
export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('The configuration the server and this CLI read (environment, CONFIG_FILE, defaults)');
  config
    .command('show')
    .description('Print every setting as NAME=value (passwords in URLs and S3_SECRET_KEY masked)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const all = ctx.config() as Record<string, unknown>;
      const values = Object.keys(configSchema.shape).map((name) => {
        const value = all[name];
        const shown = value === undefined ? '' : SECRETS.has(name as keyof AppConfig) ? '***' : maskUrl(scalar(value));
        return [name, shown] as const;
      });
      if (opts.json) return ctx.json(Object.fromEntries(values));
      ctx.out(values.map(([name, value]) => `${name}=${value}`).join('\n'));
    });
  config
    .command('get')
    .description('Print the value of one setting (empty when unset)')
    .argument('<name>', 'setting, e.g. DATABASE_URL')
    .action((name: string) => {
      const all = ctx.config() as Record<string, unknown>;
      if (!Object.keys(configSchema.shape).includes(name)) throw new UsageError(`Unknown setting ${name} (see community-server config show)`);
      const value = all[name];
      ctx.out(value === undefined ? '' : scalar(value));
    });
}
