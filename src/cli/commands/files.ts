import type { Command } from 'commander';
import { FilesService } from '../../files/files.service';
import type { RoomFileFilter } from '../../files/files.repository';
import { RoomAdminService } from '../../rooms/room-admin.service';
import { UsersService } from '../../users/users.service';
import type { CliContext } from '../context';
import { CliError, formatBytes, table, UsageError } from '../io';
import { parseDuration, parseId, parseSessionId } from '../parse';
import { roomOrFail } from './rooms';

interface FilterOptions {
  room?: string;
  user?: string;
  olderThan?: string;
}

function filterOptions(cmd: Command): Command {
  return cmd
    .option('-r, --room <token>', 'files of this room')
    .option('-u, --user <session_id>', 'files uploaded by this user (05… or 15…)')
    .option('--older-than <duration>', 'uploaded longer ago than this (e.g. 7d, 12h)');
}

async function filterOf(ctx: CliContext, opts: FilterOptions, now: number): Promise<RoomFileFilter | null> {
  const filter: RoomFileFilter = {};
  if (opts.room) filter.roomId = (await roomOrFail(ctx, opts.room)).id;
  if (opts.user) {
    const user = await (await ctx.get(UsersService)).findBySessionId(parseSessionId(opts.user));
    if (!user) return null; // never seen: no files
    filter.uploaderId = user.id;
  }
  if (opts.olderThan) filter.before = now - parseDuration(opts.olderThan);
  return filter;
}

/** `files list|delete` by room, uploader and age (issue 5). */
export function registerFileCommands(program: Command, ctx: CliContext): void {
  const files = program.command('files').description('Room attachments and images');

  filterOptions(files.command('list').description('List live room files'))
    .option('--json', 'print JSON')
    .action(async (opts: FilterOptions & { json?: boolean }) => {
      const now = Date.now() / 1000;
      const filter = await filterOf(ctx, opts, now);
      const rows = filter ? await (await ctx.get(FilesService)).listRoomFiles(filter, now) : [];
      if (opts.json) return ctx.json(rows);
      if (rows.length === 0) return ctx.out('No files');
      const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
      ctx.io.stdout(
        table([
          ['ID', 'ROOM', 'SIZE', 'UPLOADED', 'EXPIRES', 'NAME'],
          ...rows.map((f) => [String(f.id), f.room ?? '', formatBytes(f.size), iso(f.uploaded), f.expiry === null ? 'never' : iso(f.expiry), f.filename ?? '']),
        ]),
      );
    });

  filterOptions(files.command('delete').description('Delete files by id, or every file matching --room/--user/--older-than (at least one filter)').argument('[ids...]', 'file ids'))
    .option('-y, --yes', 'required when deleting by filter')
    .action(async (ids: string[], opts: FilterOptions & { yes?: boolean }) => {
      const now = Date.now() / 1000;
      const service = await ctx.get(FilesService);
      let targets: number[];
      if (ids.length > 0) {
        if (opts.room || opts.user || opts.olderThan) throw new UsageError('Give file ids or filters, not both');
        targets = ids.map(parseId);
      } else {
        if (!opts.room && !opts.user && !opts.olderThan) throw new UsageError('Give file ids, or at least one of --room, --user, --older-than');
        const filter = await filterOf(ctx, opts, now);
        // A room's image is removed with `rooms image` (or by id), never by a clean-up filter.
        targets = filter ? (await service.listRoomFiles({ ...filter, withoutRoomImages: true }, now)).map((f) => f.id) : [];
        if (targets.length > 0 && !opts.yes) throw new UsageError(`${targets.length} file(s) match; run again with --yes to delete them`);
      }
      // Deleted = expired now (protocol §9.3): downloads 404 at once; the sweep removes rows and objects.
      const expired = await (await ctx.get(RoomAdminService)).deleteFiles(targets);
      if (ids.length > 0 && expired < targets.length) {
        throw new CliError(`Deleted ${expired} file(s); ${targets.length - expired} of the given ids name no live room file (see files list)`);
      }
      ctx.out(`Deleted ${expired} file(s)`);
    });
}
