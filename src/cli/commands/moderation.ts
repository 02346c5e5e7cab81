import { Option, type Command } from 'commander';
import type { Room } from '../../generated/prisma/client';
import { ModerationService, type ModerationScope, type PermissionChange } from '../../moderation/moderation.service';
import type { CliContext } from '../context';
import { table, UsageError } from '../io';
import { parseDuration, parseRoomToken, parseSessionId } from '../parse';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ScopeOptions {
  room?: string[];
  global?: boolean;
}

/** `--room T` (repeatable; `*` = every room) or `--global`, exactly one (protocol §6.8 rooms/global). */
function scopeOf(opts: ScopeOptions): ModerationScope {
  const rooms = opts.room ?? [];
  if (opts.global && rooms.length > 0) throw new UsageError('Give either --room or --global, not both');
  if (opts.global) return { global: true };
  if (rooms.length === 0) throw new UsageError('Give --room TOKEN (repeatable, or * for every room) or --global');
  return { rooms: rooms.map((t) => (t === '*' ? t : parseRoomToken(t))) };
}

function scopeOptions(cmd: Command): Command {
  return cmd.option('-r, --room <token>', "a room (repeat for several; '*' = every room)", collect).option('-g, --global', 'server-wide instead of per room');
}

function describeScope(scope: ModerationScope): string {
  return 'global' in scope ? 'globally' : scope.rooms[0] === '*' ? 'in every room' : `in ${scope.rooms.join(', ')}`;
}

const article = (status: 'admin' | 'moderator') => (status === 'admin' ? 'an admin' : 'a moderator');

/** What `mods add` did at one level, from the status found there. */
function addedSays(status: 'admin' | 'moderator' | null, admin: boolean): Says {
  if (status === 'admin') return { says: admin ? 'was already an admin' : 'is already an admin', note: admin ? '' : ' (admins are moderators too; nothing changed)' };
  if (status === 'moderator' && !admin) return { says: 'was already a moderator' };
  return { says: `is now ${article(admin ? 'admin' : 'moderator')}` };
}

interface Says {
  says: string;
  note?: string;
}

/**
 * One line per distinct outcome ("X is now a moderator in a, b" / "X is already an admin in c"), so a
 * command over several rooms says what is true of each rather than one success for all.
 */
function report<T extends { room: string | null }>(ctx: CliContext, sessionId: string, levels: T[], says: (level: T) => Says): void {
  const groups = new Map<string, { says: Says; rooms: Array<string | null> }>();
  for (const level of levels) {
    const s = says(level);
    const key = `${s.says}\0${s.note ?? ''}`;
    const group = groups.get(key) ?? { says: s, rooms: [] };
    group.rooms.push(level.room);
    groups.set(key, group);
  }
  for (const { says: s, rooms } of groups.values()) ctx.out(`${sessionId} ${s.says} ${rooms[0] === null ? 'globally' : `in ${rooms.sort().join(', ')}`}${s.note ?? ''}`);
}

type Flag = 'read' | 'accessible' | 'write' | 'upload';
const FLAGS: Flag[] = ['read', 'accessible', 'write', 'upload'];
/** Option names as admins type them (`--access` is protocol §10.1's `a`). */
const FLAG_OPTION: Record<Flag, string> = { read: 'read', accessible: 'access', write: 'write', upload: 'upload' };

type FlagOptions = Partial<Record<'read' | 'access' | 'write' | 'upload', boolean>>;

function flagValues(opts: FlagOptions): Partial<Record<Flag, boolean>> {
  const out: Partial<Record<Flag, boolean>> = {};
  for (const flag of FLAGS) {
    const value = opts[FLAG_OPTION[flag] as keyof FlagOptions];
    if (value !== undefined) out[flag] = value;
  }
  return out;
}

/**
 * `mods add|remove|list`, `bans add|remove|list`, `trust add|remove|list`, `mute`, `mute list`, `unmute`, `perms set|clear`: all through ModerationService, acting as
 * the system user (protocol §2.1), with 05 ids resolved to known blinded ids (protocol §2.4).
 */
export function registerModerationCommands(program: Command, ctx: CliContext): void {
  const moderation = () => ctx.get(ModerationService);
  /** The scope, with each listed room known to exist: "No such room" rather than the API's 403 for it. */
  const existingScope = async (opts: ScopeOptions): Promise<ModerationScope> => {
    const scope = scopeOf(opts);
    if ('rooms' in scope && scope.rooms[0] !== '*') {
      const service = await moderation();
      for (const token of scope.rooms) await service.roomByToken(token);
    }
    return scope;
  };

  const mods = program.command('mods').description('Moderators and admins, per room or global');
  scopeOptions(
    mods
      .command('add')
      .description('Make each SESSION_ID a moderator (or --admin) of rooms or of the whole server')
      .argument('<session_id...>', '05… or 15… Session ids (05 ids resolve to the blinded id when known)'),
  )
    .option('-a, --admin', 'admin instead of moderator')
    .addOption(new Option('--visible', 'listed publicly (default for rooms)').conflicts('hidden'))
    .addOption(new Option('--hidden', 'not listed publicly (default for --global)'))
    .action(async (sids: string[], opts: ScopeOptions & { admin?: boolean; visible?: boolean; hidden?: boolean }) => {
      const sessionIds = sids.map(parseSessionId);
      const scope = await existingScope(opts);
      const visible = opts.visible ? true : opts.hidden ? false : undefined;
      for (const sessionId of sessionIds) {
        const { before } = await (await moderation()).addModerator(sessionId, scope, { admin: opts.admin, visible });
        report(ctx, sessionId, before, ({ status }) => addedSays(status, opts.admin ?? false));
      }
    });
  scopeOptions(mods.command('remove').description('Remove moderator and admin status').argument('<session_id...>', '05… or 15… Session ids')).action(
    async (sids: string[], opts: ScopeOptions) => {
      const sessionIds = sids.map(parseSessionId);
      const scope = await existingScope(opts);
      for (const sessionId of sessionIds) {
        const { before } = await (await moderation()).removeModerator(sessionId, scope);
        report(ctx, sessionId, before, ({ status }) => (status === null ? { says: 'was not a moderator or admin' } : { says: `is no longer ${article(status)}` }));
      }
    },
  );
  mods
    .command('list')
    .description('Moderators and admins: global ones and those of every room (the reference CLI lists global ones only)')
    .addOption(new Option('-r, --room <token>', 'only those who moderate this room (global ones too)').conflicts('global'))
    .option('-g, --global', 'only global moderators and admins')
    .option('--json', 'print JSON')
    .action(async (opts: { room?: string; global?: boolean; json?: boolean }) => {
      const service = await moderation();
      const room = opts.room === undefined ? null : await service.roomByToken(parseRoomToken(opts.room));
      const rows = (await service.moderators(room)).filter((m) => !opts.global || m.room === null);
      if (opts.json) return ctx.json(rows.map((m) => ({ session_id: m.sessionId, room: m.room, admin: m.admin, visible: m.visible })));
      if (rows.length === 0) return ctx.out('No moderators');
      ctx.out(
        table([
          ['SESSION ID', 'WHERE', 'ROLE', 'LISTED'],
          ...rows.map((m) => [m.sessionId, m.room ?? 'global', m.admin ? 'admin' : 'moderator', m.visible ? 'visible' : 'hidden']),
        ]),
      );
    });

  const bans = program.command('bans').description('Bans and shadow bans, per room or global, optionally timed');
  scopeOptions(
    bans
      .command('add')
      .description('Ban each SESSION_ID. A room ban removes their moderator or admin status in that room (protocol §6.8); the command says when it does')
      .argument('<session_id...>', '05… or 15… Session ids'),
  )
    .addOption(new Option('-d, --duration <duration>', 'lift the ban after this long (e.g. 30m, 12h, 7d); permanent if omitted').conflicts('timeout'))
    .option('-t, --timeout <duration>', 'the same as --duration')
    .option('-s, --shadow', 'shadow ban: the user notices nothing; their posts and reactions are seen by them and moderators only, their DMs are dropped')
    .action(async (sids: string[], opts: ScopeOptions & { duration?: string; timeout?: string; shadow?: boolean }) => {
      const sessionIds = sids.map(parseSessionId);
      const scope = await existingScope(opts);
      const duration = opts.duration ?? opts.timeout;
      const seconds = duration === undefined ? null : parseDuration(duration);
      for (const sessionId of sessionIds) {
        const { dropped } = await (await moderation()).ban(sessionId, scope, seconds, undefined, opts.shadow ?? false);
        ctx.out(`${sessionId} is ${opts.shadow ? 'shadow-banned' : 'banned'} ${describeScope(scope)}${seconds === null ? '' : ` for ${duration}`}`);
        report(ctx, sessionId, dropped, ({ status }) => ({
          says: `was ${article(status)}`,
          note: ': the ban removed that status there (mods add restores it once the ban is lifted)',
        }));
      }
    });
  bans
    .command('list')
    .description('Bans and shadow bans in force (global ones too), with their scheduled end')
    .option('-r, --room <token>', 'only those that apply in this room')
    .option('--json', 'print JSON')
    .action(async (opts: { room?: string; json?: boolean }) => {
      const service = await moderation();
      const room = opts.room === undefined ? null : await service.roomByToken(parseRoomToken(opts.room));
      const rows = await service.bans(room);
      if (opts.json) return ctx.json(rows.map((b) => ({ session_id: b.sessionId, room: b.room, shadow: b.shadow, until: b.until })));
      if (rows.length === 0) return ctx.out('No bans');
      ctx.out(
        table([
          ['SESSION ID', 'WHERE', 'KIND', 'UNTIL'],
          ...rows.map((b) => [b.sessionId, b.room ?? 'global', b.shadow ? 'shadow' : 'ban', b.until === null ? 'permanent' : new Date(b.until * 1000).toISOString()]),
        ]),
      );
    });
  scopeOptions(bans.command('remove').description('Lift a ban (and any scheduled unban) at that level').argument('<session_id...>', '05… or 15… Session ids')).action(
    async (sids: string[], opts: ScopeOptions) => {
      const sessionIds = sids.map(parseSessionId);
      const scope = await existingScope(opts);
      for (const sessionId of sessionIds) {
        const { before } = await (await moderation()).unban(sessionId, scope);
        report(ctx, sessionId, before, ({ banned }) => (banned ? { says: 'is unbanned' } : { says: 'was not banned', note: ' (nothing to lift)' }));
      }
    },
  );

  const trust = program.command('trust').description('Trusted users, per room or global: exempt from the rules for new and untrusted users');
  for (const [name, trusted, description] of [
    ['add', true, 'Trust one or more users'],
    ['remove', false, 'Stop trusting one or more users at that level'],
  ] as const) {
    scopeOptions(trust.command(name).description(description).argument('<session_ids...>', '05… or 15… Session ids')).action(async (sids: string[], opts: ScopeOptions) => {
      const ids = sids.map(parseSessionId);
      const scope = await existingScope(opts);
      for (const sessionId of ids) {
        await (await moderation()).setTrusted(sessionId, scope, trusted);
        ctx.out(`${sessionId} is ${trusted ? 'trusted' : 'no longer trusted'} ${describeScope(scope)}`);
      }
    });
  }
  trust
    .command('list')
    .description('Trusted users (global ones too)')
    .option('-r, --room <token>', 'only those trusted in this room or globally')
    .option('--json', 'print JSON')
    .action(async (opts: { room?: string; json?: boolean }) => {
      const service = await moderation();
      const room = opts.room === undefined ? null : await service.roomByToken(parseRoomToken(opts.room));
      const rows = await service.trustedUsers(room);
      if (opts.json) return ctx.json(rows.map((t) => ({ session_id: t.sessionId, room: t.room })));
      if (rows.length === 0) return ctx.out('No trusted users');
      ctx.out(table([['SESSION ID', 'WHERE'], ...rows.map((t) => [t.sessionId, t.room ?? 'global'])]));
    });

  // Positional options (with the program's): after `mute list`, --room and --global are the list's, not those of a mute.
  const mute = scopeOptions(
    program
      .command('mute')
      .enablePositionalOptions()
      .description('Mute users for a while: they read as before, but posting, editing, deleting and uploading are refused with a 403 that gives the reason and the end')
      .argument('<session_ids...>', '05… or 15… Session ids'),
  )
    // Not a commander requiredOption: commander asks those of `mute list` too.
    .option('-f, --for <duration>', 'how long (e.g. 30m, 4h, 7d); required')
    .option('--reason <text>', 'why: sent back as the text of each refused request')
    .action(async (sids: string[], opts: ScopeOptions & { for?: string; reason?: string }) => {
      if (opts.for === undefined) throw new UsageError('Give --for DURATION: how long the mute lasts (e.g. 30m, 4h, 7d)');
      const ids = sids.map(parseSessionId);
      const scope = await existingScope(opts);
      const seconds = parseDuration(opts.for);
      for (const sessionId of ids) {
        const { until } = await (await moderation()).mute(sessionId, scope, seconds, opts.reason ?? null);
        ctx.out(`${sessionId} is muted ${describeScope(scope)} until ${new Date(until * 1000).toISOString()}`);
      }
    });
  mute
    .command('list')
    .description('Mutes in force (global ones too), with their end and reason')
    .addOption(new Option('-r, --room <token>', 'only those that apply in this room').conflicts('global'))
    .option('-g, --global', 'only global mutes')
    .option('--json', 'print JSON')
    .action(async (opts: { room?: string; global?: boolean; json?: boolean }) => {
      const service = await moderation();
      const room = opts.room === undefined ? null : await service.roomByToken(parseRoomToken(opts.room));
      const rows = (await service.mutes(room)).filter((m) => !opts.global || m.room === null);
      if (opts.json) return ctx.json(rows.map((m) => ({ session_id: m.sessionId, room: m.room, until: m.until, reason: m.reason })));
      if (rows.length === 0) return ctx.out('No mutes');
      ctx.out(table([['SESSION ID', 'WHERE', 'UNTIL', 'REASON'], ...rows.map((m) => [m.sessionId, m.room ?? 'global', new Date(m.until * 1000).toISOString(), m.reason ?? ''])]));
    });
  scopeOptions(program.command('unmute').description('End mutes now').argument('<session_ids...>', '05… or 15… Session ids')).action(async (sids: string[], opts: ScopeOptions) => {
    const ids = sids.map(parseSessionId);
    const scope = await existingScope(opts);
    for (const sessionId of ids) {
      await (await moderation()).unmute(sessionId, scope);
      ctx.out(`${sessionId} is unmuted ${describeScope(scope)}`);
    }
  });

  const perms = program.command('perms').description('Room default permissions and per-user overrides (read, access, write, upload)');
  const withFlags = (cmd: Command, verb: string) => {
    for (const flag of FLAGS) {
      const name = FLAG_OPTION[flag];
      cmd.option(`--${name}`, `${verb} ${name}`);
    }
    return cmd;
  };
  const setCmd = perms
    .command('set')
    .description(
      'Set room defaults (without --user) or a user override. Grant with --read, --write, …; revoke with --no-read, --no-write, …\n' +
        'With --in, schedule the change (read, write, upload only) for later instead.',
    )
    .requiredOption('-r, --room <token>', 'the room')
    .option('-u, --user <session_id>', 'a user (05… or 15…); omit to change the room defaults')
    .option('--in <duration>', 'apply the user change after this long (e.g. 10m, 1d)');
  for (const flag of FLAGS) {
    const name = FLAG_OPTION[flag];
    setCmd.option(`--${name}`, `grant ${name}`).option(`--no-${name}`, `revoke ${name}`);
  }
  setCmd.action(async (opts: { room: string; user?: string; in?: string } & FlagOptions) => {
    const flags = flagValues(opts);
    if (Object.keys(flags).length === 0) throw new UsageError('Name at least one permission: --read/--no-read, --access/--no-access, --write/--no-write, --upload/--no-upload');
    const service = await moderation();
    const room = await service.roomByToken(parseRoomToken(opts.room));
    if (!opts.user) {
      if (opts.in) throw new UsageError('--in applies to user permissions only');
      await service.setRoomDefaults(room, flags);
      ctx.out(`Room ${room.token} defaults: ${describeFlags(flags)}`);
      return;
    }
    const sessionId = parseSessionId(opts.user);
    if (opts.in) {
      if (flags.accessible !== undefined) throw new UsageError('--access cannot be scheduled; schedule read, write or upload');
      const seconds = parseDuration(opts.in);
      await service.schedulePermissions(room, sessionId, flags, seconds);
      ctx.out(`${sessionId} in ${room.token}: ${describeFlags(flags)} in ${opts.in}`);
      return;
    }
    await service.setPermissions(room, sessionId, flags);
    ctx.out(`${sessionId} in ${room.token}: ${describeFlags(flags)}`);
  });

  withFlags(
    perms
      .command('clear')
      .description('Reset permissions to their defaults: a user override back to the room default, or room defaults back to allowed. No flags = all four.')
      .requiredOption('-r, --room <token>', 'the room')
      .option('-u, --user <session_id>', 'a user (05… or 15…); omit to reset the room defaults'),
    'clear',
  ).action(async (opts: { room: string; user?: string } & FlagOptions) => {
    const named = FLAGS.filter((f) => opts[FLAG_OPTION[f] as keyof FlagOptions]);
    const flags = named.length > 0 ? named : FLAGS;
    const service = await moderation();
    const room: Room = await service.roomByToken(parseRoomToken(opts.room));
    if (!opts.user) {
      await service.setRoomDefaults(room, Object.fromEntries(flags.map((f) => [f, true])));
      ctx.out(`Room ${room.token} defaults reset: ${flags.join(', ')} allowed`);
      return;
    }
    const sessionId = parseSessionId(opts.user);
    const change: PermissionChange = {};
    for (const flag of flags) change[`default_${flag}`] = true;
    await service.setPermissions(room, sessionId, change);
    ctx.out(`${sessionId} in ${room.token}: ${flags.join(', ')} back to the room default`);
  });
}

function describeFlags(flags: Partial<Record<Flag, boolean>>): string {
  return Object.entries(flags)
    .map(([flag, value]) => `${value ? '+' : '-'}${FLAG_OPTION[flag as Flag]}`)
    .join(' ');
}
