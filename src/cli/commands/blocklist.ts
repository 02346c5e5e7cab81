import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BlocklistService, parseBlocklistFile, type Quarantine } from '../../files/blocklist.service';
import type { CliContext } from '../context';
import { CliError, table } from '../io';

function report(ctx: CliContext, results: Quarantine[], json: boolean | undefined): void {
  if (json) return ctx.json(results);
  for (const r of results) {
    const what = r.added ? 'Blocked' : 'Already blocked';
    const copies = r.objects > 0 ? `; quarantined ${r.objects} stored object(s): ${r.roomFiles} room file(s), ${r.serverFiles} file-server file(s)` : '';
    ctx.out(`${what} ${r.sha256}${copies}`);
  }
}

/** `blocklist add|import|list|remove`: SHA-256 digests no upload may store (issue 15 item 6). */
export function registerBlocklistCommands(program: Command, ctx: CliContext): void {
  const blocklist = program.command('blocklist').description('Attachment blocklist: SHA-256 digests refused on every upload; adding one quarantines stored copies');

  blocklist
    .command('add')
    .description('Block a SHA-256 digest and quarantine every stored copy (its files answer 404 from now on)')
    .argument('<sha256>', '64 hex digits')
    .option('--reason <text>', 'shown to uploaders in the 403')
    .option('--json', 'print JSON')
    .action(async (sha256: string, opts: { reason?: string; json?: boolean }) => {
      report(ctx, await (await ctx.get(BlocklistService)).add([{ sha256, reason: opts.reason ?? null }]), opts.json);
    });

  blocklist
    .command('import')
    .description('Block every digest of a file: one a line, optionally followed by a reason (sha256sum output reads as is); # comments')
    .argument('<file>', 'path of the list')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const text = await readFile(file, 'utf8').catch((err: Error) => {
        throw new CliError(`Cannot read ${file}: ${err.message}`);
      });
      const results = await (await ctx.get(BlocklistService)).add(parseBlocklistFile(text));
      if (opts.json) return ctx.json(results);
      const hit = results.filter((r) => r.objects > 0);
      ctx.out(`Blocked ${results.filter((r) => r.added).length} new digest(s) of ${results.length}; quarantined ${hit.reduce((n, r) => n + r.objects, 0)} stored object(s)`);
    });

  blocklist
    .command('list')
    .description('List blocked digests')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const entries = await (await ctx.get(BlocklistService)).list();
      if (opts.json) return ctx.json(entries);
      if (entries.length === 0) return ctx.out('No blocked digests');
      ctx.io.stdout(
        table([['SHA256', 'ADDED', 'REASON'], ...entries.map((e) => [e.sha256, new Date(e.added * 1000).toISOString().slice(0, 19).replace('T', ' '), e.reason ?? ''])]),
      );
    });

  blocklist
    .command('remove')
    .description('Unblock a digest (quarantined copies stay deleted)')
    .argument('<sha256>', '64 hex digits')
    .action(async (sha256: string) => {
      if (!(await (await ctx.get(BlocklistService)).remove(sha256))) throw new CliError(`${sha256} is not blocked`);
      ctx.out(`Unblocked ${sha256}`);
    });
}
