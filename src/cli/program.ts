import { HttpException } from '@nestjs/common';
import { Command, CommanderError } from 'commander';
import { CliContext } from './context';
import { CliError, type CliIO } from './io';
import { registerKeysCommands } from './commands/keys';
import { registerModerationCommands } from './commands/moderation';
import { registerProbeCommand } from './commands/probe';
import { registerRoomCommands } from './commands/rooms';
import { registerMessageCommands } from './commands/messages';
import { registerFileCommands } from './commands/files';
import { registerImportCommands } from './commands/import';
import { registerConfigCommands } from './commands/config';
import { registerBlocklistCommands } from './commands/blocklist';
import { registerBotCommands } from './commands/bots';
import { registerPluginCommands } from './commands/plugins';
import { registerAuditCommands } from './commands/audit';
import { registerConsoleCommands } from './commands/console';
import { registerReviewCommands } from './commands/review';

const VERSION = '0.1.0';

/** Every command: each registers its subcommands on the program, acting through `ctx`. */
const COMMANDS = [
  registerKeysCommands,
  registerRoomCommands,
  registerModerationCommands,
  registerMessageCommands,
  registerFileCommands,
  registerBlocklistCommands,
  registerProbeCommand,
  registerImportCommands,
  registerConfigCommands,
  registerBotCommands,
  registerPluginCommands,
  registerAuditCommands,
  registerConsoleCommands,
  registerReviewCommands,
];

function buildProgram(ctx: CliContext, io: CliIO): Command {
  const program = new Command('community-server')
    .description(
      'Administer a Session community server (SOGS v3): rooms, moderators, bans, permissions, files, import from pysogs.\n' +
        'Reads the same environment as the server (DATABASE_URL, REDIS_URL, KEY_FILE, STORAGE_*, BASE_URL, …).',
    )
    .version(VERSION, '-V, --version')
    // A command's options are its own, not its parent's: `mute list --room T` is the list's room, not a mute's.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();
  program.addHelpText('after', '\nExit codes: 0 success, 1 error, 2 usage or configuration error.');
  for (const register of COMMANDS) register(program, ctx);
  // Subcommands inherit output and exit handling so their --help and errors behave the same.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub
        .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
        .exitOverride()
        .showHelpAfterError('(run with --help for usage)');
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/**
 * Runs one CLI invocation (`argv` without node and script) and returns its exit code: 0 ok,
 * 1 error, 2 usage. The binary (main.ts) and in-process tests both call this.
 */
export async function runCli(argv: string[], io: CliIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ctx = new CliContext(io, env);
  const program = buildProgram(ctx, io);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" exit 0; everything else commander reports is a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      io.stderr(`Error: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof HttpException) {
      // A domain rule refused the change (the same message the API would return).
      io.stderr(`Error: ${err.message}\n`);
      return 1;
    }
    io.stderr(`Error: ${oneLine(err)}\n`);
    return 1;
  } finally {
    if (!(await ctx.close())) io.stderr('Warning: the database and Redis connections did not close in time\n');
  }
}

/** An unexpected error in one line: Prisma's start with "Invalid `prisma.x()` invocation:" and blank lines. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Invalid `.*` invocation/.test(l));
  return lines.join(' ') || text;
}
