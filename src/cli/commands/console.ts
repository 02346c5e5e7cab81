import type { Command } from 'commander';
import { ConsoleAuthService } from '../../console/console-auth.service';
import type { CliContext } from '../context';
import { parseDuration } from '../parse';

/** `console login [--ttl 10m]`: a one-time sign-in link for the admin console (issue 17). */
export function registerConsoleCommands(program: Command, ctx: CliContext): void {
  const consoleCmd = program.command('console').description('The admin console on the admin listener (loopback by default)');
  consoleCmd
    .command('login')
    .description('Print a one-time sign-in link for the console: valid once, for --ttl (default CONSOLE_LOGIN_TTL)')
    .option('--ttl <duration>', 'how long the link stays valid (e.g. 10m; at most CONSOLE_LOGIN_MAX_TTL)')
    .action(async (opts: { ttl?: string }) => {
      const seconds = opts.ttl === undefined ? undefined : parseDuration(opts.ttl);
      const { url, expires } = await (await ctx.get(ConsoleAuthService)).createLogin(seconds);
      ctx.out(url);
      ctx.io.stderr(`Open it in a browser before ${new Date(expires * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC; it works once.\n`);
    });
}
