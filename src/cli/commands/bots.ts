import type { Command } from 'commander';
import { BotKeyError, botIdentity, createBotKey, listBotNames, readBotKey, type BotIdentity } from '../../bots/bot-keys';
import type { CliContext } from '../context';
import { CliError } from '../io';

/** `bots add|show|list`: bot identities (issue 16). Keys only: no database needed. */
export function registerBotCommands(program: Command, ctx: CliContext): void {
  const bots = program.command('bots').description('Bot identities: their own Session keys, posting and DMing through the usual rules');
  const print = (b: BotIdentity, json: boolean | undefined) =>
    json ? ctx.json({ name: b.name, display_name: b.displayName, session_id: b.sessionId }) : ctx.out(`${b.name}\t${b.sessionId}\t${b.displayName}`);

  bots
    .command('add <name>')
    .description('Create a bot: its Ed25519 key under BOTS_DIR (mode 0600) and display name')
    .requiredOption('--display-name <name>', 'the name clients show for its messages')
    .option('--json', 'print JSON')
    .action((name: string, opts: { displayName: string; json?: boolean }) => {
      try {
        print(botIdentity(createBotKey(ctx.config().BOTS_DIR, name, opts.displayName), ctx.serverKey().publicKey), opts.json);
      } catch (err) {
        if (err instanceof BotKeyError) throw new CliError(err.message);
        throw err;
      }
    });

  bots
    .command('show <name>')
    .description("Print a bot's blinded id on this server (grant it moderator rights with `mods add`)")
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }) => {
      const key = readBotKey(ctx.config().BOTS_DIR, name);
      if (!key) throw new CliError(`No bot named "${name}"`);
      print(botIdentity(key, ctx.serverKey().publicKey), opts.json);
    });

  bots
    .command('list')
    .description('List the bots: name, blinded id, display name')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const dir = ctx.config().BOTS_DIR;
      const all = listBotNames(dir).flatMap((n) => {
        const key = readBotKey(dir, n);
        return key ? [botIdentity(key, ctx.serverKey().publicKey)] : [];
      });
      if (opts.json) ctx.json(all.map((b) => ({ name: b.name, display_name: b.displayName, session_id: b.sessionId })));
      else for (const b of all) print(b, false);
    });
}
