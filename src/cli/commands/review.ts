import type { Command } from 'commander';
import { ReviewService } from '../../rooms/review.service';
import type { CliContext } from '../context';
import { table } from '../io';
import { parseId, parseRoomToken } from '../parse';

const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
/** A table cell of message text: one line, at most 60 characters. */
const preview = (text: string | null) => (text === null ? '(unreadable)' : text.replace(/\s+/g, ' ').slice(0, 60));

/**
 * `held list|approve|reject` and `reports list|dismiss|uphold` (issue 14): the queue of held posts
 * and reported messages, and the same decisions a moderator makes from a stock client with the
 * room's approve and reject emoji (ReviewService).
 */
export function registerReviewCommands(program: Command, ctx: CliContext): void {
  const review = () => ctx.get(ReviewService);
  const decide = (approve: boolean, done: string) => async (ids: string[]) => {
    for (const id of ids.map(parseId)) {
      const { room } = await (await review()).decideById(id, approve);
      ctx.out(`${done} message ${id} in ${room}`);
    }
  };

  const held = program.command('held').description('Posts held for a moderator (rooms update --held)');
  held
    .command('list')
    .description('List held posts, oldest first')
    .option('-r, --room <token>', 'only this room')
    .option('--json', 'print JSON')
    .action(async (opts: { room?: string; json?: boolean }) => {
      const rows = await (await review()).held(opts.room === undefined ? undefined : parseRoomToken(opts.room));
      if (opts.json) return ctx.json(rows);
      if (rows.length === 0) return ctx.out('No held posts');
      ctx.io.stdout(table([['ID', 'ROOM', 'AUTHOR', 'POSTED', 'TEXT'], ...rows.map((m) => [String(m.id), m.room, m.session_id, iso(m.posted), preview(m.text)])]));
    });
  held.command('approve').description('Publish held posts (everyone receives them at their original time)').argument('<id...>', 'message ids').action(decide(true, 'Approved'));
  held.command('reject').description('Reject held posts (deleted; nobody else ever saw them)').argument('<id...>', 'message ids').action(decide(false, 'Rejected'));

  const reports = program.command('reports').description("Users' reports of messages (the room's report emoji)");
  reports
    .command('list')
    .description('List messages with open reports, most counted reports first')
    .option('-r, --room <token>', 'only this room')
    .option('--json', 'print JSON')
    .action(async (opts: { room?: string; json?: boolean }) => {
      const rows = await (await review()).reports(opts.room === undefined ? undefined : parseRoomToken(opts.room));
      if (opts.json) return ctx.json(rows);
      if (rows.length === 0) return ctx.out('No open reports');
      ctx.io.stdout(
        table([
          ['ID', 'ROOM', 'AUTHOR', 'POSTED', 'REPORTS', 'COUNTED', 'HIDDEN', 'LAST REPORT'],
          ...rows.map((r) => [String(r.id), r.room, r.session_id, iso(r.posted), String(r.reports), String(r.counted), r.hidden ? 'yes' : 'no', iso(r.last_at)]),
        ]),
      );
    });
  reports
    .command('dismiss')
    .description('Dismiss the reports of messages (restored if the reports hid them)')
    .argument('<id...>', 'message ids')
    .action(decide(true, 'Dismissed the reports of'));
  reports
    .command('uphold')
    .description('Uphold the reports of messages (the messages are deleted)')
    .argument('<id...>', 'message ids')
    .action(decide(false, 'Upheld the reports of'));
}
