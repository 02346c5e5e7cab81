import type { Command } from 'commander';
import { AuditService } from '../../audit/audit.service';
import { AUDIT_ACTIONS, isAuditAction, type AuditFilter } from '../../audit/audit.types';
import type { CliContext } from '../context';
import { table, UsageError } from '../io';
import { parseDuration, parseRoomToken } from '../parse';

/** `audit list`: the audit log (issue 14), newest first. */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('The audit log of moderator, admin and automatic actions');
  audit
    .command('list')
    .description('List audit log entries, newest first (at most 1000)')
    .option('-r, --room <token>', 'entries of this room (deleted rooms too)')
    .option('--actor <id>', 'who acted: a Session id, or cli, console, system, plugin:NAME, rule:NAME')
    .option('--target <id>', 'whom or what it was done to: a Session id, a file id, a message id')
    .option('--action <action>', `what was done: ${AUDIT_ACTIONS.join(', ')}`)
    .option('--since <duration>', 'entries of the last DURATION (e.g. 1h, 7d)')
    .option('--json', 'print JSON')
    .action(async (opts: { room?: string; actor?: string; target?: string; action?: string; since?: string; json?: boolean }) => {
      const filter: AuditFilter = { actor: opts.actor, target: opts.target };
      if (opts.room !== undefined) filter.room = parseRoomToken(opts.room);
      if (opts.action !== undefined) {
        if (!isAuditAction(opts.action)) throw new UsageError(`Unknown action '${opts.action}': one of ${AUDIT_ACTIONS.join(', ')}`);
        filter.action = opts.action;
      }
      if (opts.since !== undefined) filter.since = Date.now() / 1000 - parseDuration(opts.since);
      const entries = await (await ctx.get(AuditService)).list(filter);
      if (opts.json) return ctx.json(entries);
      if (entries.length === 0) return ctx.out('No audit log entries');
      const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
      ctx.io.stdout(
        table([
          ['AT', 'ACTOR', 'ACTION', 'ROOM', 'TARGET', 'REASON', 'DETAILS'],
          ...entries.map((e) => [iso(e.at), e.actor, e.action, e.room ?? '', e.target ?? '', e.reason ?? '', e.details === null ? '' : JSON.stringify(e.details)]),
        ]),
      );
    });
}
