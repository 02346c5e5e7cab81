import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { constantTimeEqual } from '../../crypto';
import { PrismaService } from '../../database/prisma.service';
import { FilesService } from '../../files/files.service';
import { InboxService } from '../../inbox/inbox.service';
import { ModerationService } from '../../moderation/moderation.service';
import { RoomsService } from '../../rooms/rooms.service';
import { UsersService } from '../../users/users.service';
import type { CliContext } from '../context';
import { CliError } from '../io';
import { PysogsImporter } from '../import/pysogs-import';
import { openPysogsSource } from '../import/pysogs-source';

/**
 * Adopts pysogs' `key_x25519` (protocol §2.1) so join URLs and onion requests keep working: copied to
 * KEY_FILE when that does not exist yet, accepted when it holds the same key, refused otherwise.
 */
function adoptKey(keyFile: string, pysogsKey: string): 'copied' | 'same' {
  const incoming = readFileSync(pysogsKey);
  if (incoming.length !== 32) throw new CliError(`${pysogsKey} is not a pysogs key_x25519 (expected 32 raw bytes, found ${incoming.length})`);
  if (existsSync(keyFile)) {
    // A private key comparison: constant time, as everywhere secrets are compared.
    if (constantTimeEqual(readFileSync(keyFile), incoming)) return 'same';
    throw new CliError(`KEY_FILE ${keyFile} already holds a different key. Clients know the pysogs key: stop the server, move ${keyFile} away, then run the import again.`);
  }
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  copyFileSync(pysogsKey, keyFile);
  chmodSync(keyFile, 0o600);
  return 'copied';
}

/** `import pysogs`: move an existing pysogs server (database, key, uploads) onto this one (issue 5). */
export function registerImportCommands(program: Command, ctx: CliContext): void {
  const imports = program.command('import').description('Import from another server');
  imports
    .command('pysogs')
    .description(
      'Import a pysogs (session-pysogs) server: rooms, users, messages (same ids and seqnos), reactions, pins, permissions, bans, DMs and files.\n' +
        'Safe to run again: what is already here is skipped. Run it before clients are pointed at this server.',
    )
    .requiredOption('--db <path|url>', 'pysogs database: sogs.db (SQLite) path or postgresql:// URL')
    .option('--key <file>', "pysogs key_x25519 (the server's identity; default: key_x25519 beside a SQLite database)")
    .option('--uploads <dir>', "pysogs uploads directory (default: 'uploads' beside a SQLite database)")
    .action(async (opts: { db: string; key?: string; uploads?: string }) => {
      const isSqlite = !/^postgres(ql)?:\/\//.test(opts.db);
      const baseDir = isSqlite ? dirname(resolve(opts.db.replace(/^sqlite:\/\/\//, ''))) : undefined;
      const keyPath = opts.key ?? (baseDir && existsSync(resolve(baseDir, 'key_x25519')) ? resolve(baseDir, 'key_x25519') : undefined);
      const uploadsDir = opts.uploads ?? (baseDir ? resolve(baseDir, 'uploads') : undefined);
      if (isSqlite && !existsSync(opts.db.replace(/^sqlite:\/\/\//, ''))) throw new CliError(`No such database file: ${opts.db}`);

      if (keyPath) {
        const how = adoptKey(ctx.config().KEY_FILE, keyPath);
        ctx.out(how === 'copied' ? `key: copied ${keyPath} to ${ctx.config().KEY_FILE}` : 'key: KEY_FILE already holds the pysogs key');
      } else {
        ctx.out('key: no pysogs key_x25519 given; clients must re-join with the new server key');
      }

      let source;
      try {
        source = await openPysogsSource(opts.db);
      } catch (err) {
        throw new CliError(`Cannot open ${opts.db}: ${(err as Error).message}`);
      }
      try {
        const into = {
          users: await ctx.get(UsersService),
          rooms: await ctx.get(RoomsService),
          moderation: await ctx.get(ModerationService),
          inbox: await ctx.get(InboxService),
          files: await ctx.get(FilesService),
          prisma: await ctx.get(PrismaService),
        };
        const importer = new PysogsImporter(source, into, {
          uploadsDir,
          baseDir,
          progress: (line) => ctx.out(line),
        });
        const s = await importer.run();
        ctx.out(
          `Imported ${s.rooms.inserted} new of ${s.rooms.read} room(s), ${s.users.inserted} new of ${s.users.read} user(s), ${s.messages.inserted} new of ${s.messages.read} message(s), ` +
            `${s.reactions} new reaction(s), ${s.pins} new pin(s), ${s.permissions} new permission row(s), ` +
            `${s.files.imported} new file(s) (${s.files.missing} missing, ${s.files.expired} expired skipped)`,
        );
        const anything = s.rooms.inserted + s.users.inserted + s.messages.inserted + s.reactions + s.pins + s.permissions + s.files.imported;
        if (anything === 0) ctx.out('Nothing new: everything in this database was already imported.');
      } finally {
        await source.close();
      }
    });
}
