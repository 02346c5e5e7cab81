import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import type { Room } from '../../generated/prisma/client';
import { ModerationService } from '../../moderation/moderation.service';
import { HELD_MODES, type RoomModeration, type RoomModerationChange } from '../../moderation/room-moderation';
import { RULE_ACTIONS } from '../../rooms/content-rules';
import { RoomAdminService, type RoomListing } from '../../rooms/room-admin.service';
import { RoomsService } from '../../rooms/rooms.service';
import { joinUrl } from '../../web/join-url';
import type { CliContext } from '../context';
import { CliError, formatBytes, UsageError } from '../io';
import { parseDuration, parseRoomToken } from '../parse';

interface PolicyOptions {
  maxChars?: number;
  maxCharsAction?: string;
  mentions?: number;
  mentionsAction?: string;
  words?: string;
  wordsAction?: string;
  pattern?: string[];
  patterns?: boolean;
  patternsAction?: string;
  unreadable?: string;
  links?: string;
  newUserAttachments?: string;
  slowMode?: { posts: number; seconds: number };
  quotaPostsPerDay?: number;
  quotaUploadBytesPerDay?: number;
  quotaReactionsPerMinute?: number;
  reset?: string[];
  json?: boolean;
}

/**
 * The room moderation settings `rooms update` changes (src/moderation/room-moderation.ts), one row
 * each: its flag, how the value is read and shown. A new setting is one more row here.
 */
interface ModerationSetting<K extends keyof RoomModeration = keyof RoomModeration> {
  key: K;
  flag: string;
  label: string;
  help: string;
  parse: (value: string) => NonNullable<RoomModerationChange[K]>;
  show: (value: RoomModeration[K]) => string;
}

const wholeNumber = (flag: string) => (value: string) => {
  if (!/^\d{1,7}$/.test(value)) throw new UsageError(`${flag} must be a whole number`);
  return Number(value);
};
/** A duration as `parseDuration` reads it, or 0 (off). */
const durationOrZero = (value: string) => (value.trim() === '0' ? 0 : Math.round(parseDuration(value)));
const showDuration = (seconds: number) => (seconds === 0 ? 'off' : seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds}s`);

/** One row, typed for its own key; the table holds them all alike. */
const setting = <K extends keyof RoomModeration>(row: ModerationSetting<K>) => row as unknown as ModerationSetting;

const oneOf =
  <T extends string>(flag: string, values: readonly T[]) =>
  (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${values.join(', ')}`);
    return value as T;
  };
const emojiSetting = (key: 'approveEmoji' | 'rejectEmoji' | 'reportEmoji', flag: string, help: string) =>
  setting({ key, flag: `${flag} <emoji>`, label: `${flag.slice(2).replace('-', ' ')}`, help, parse: (value: string) => value, show: String });

const MODERATION_SETTINGS: ModerationSetting[] = [
  setting({
    key: 'newUserPosts',
    flag: '--new-user-posts <n>',
    label: 'new users: fewer accepted posts than',
    help: 'a user with fewer accepted posts in the room is a new user (0 = posts make no one new)',
    parse: wholeNumber('--new-user-posts'),
    show: String,
  }),
  setting({
    key: 'newUserAge',
    flag: '--new-user-age <duration>',
    label: 'new users: first seen less than',
    help: 'a user first seen in the room less than this long ago (e.g. 24h, 7d; 0 = off) is a new user',
    parse: durationOrZero,
    show: showDuration,
  }),
  setting({
    key: 'heldMode',
    flag: '--held <mode>',
    label: 'held posts',
    help: `hold posts for a moderator: ${HELD_MODES.join('|')} (new users, untrusted users, everyone but moderators)`,
    parse: oneOf('--held', HELD_MODES),
    show: String,
  }),
  setting({
    key: 'reportThreshold',
    flag: '--report-threshold <n>',
    label: 'reports that hide a message',
    help: 'counted reports from distinct users that hide a message until a moderator decides',
    parse: wholeNumber('--report-threshold'),
    show: String,
  }),
  emojiSetting('approveEmoji', '--approve-emoji', "a moderator's reaction with it approves a held or reported message"),
  emojiSetting('rejectEmoji', '--reject-emoji', "a moderator's reaction with it rejects (deletes) a held or reported message"),
  emojiSetting('reportEmoji', '--report-emoji', "a user's reaction with it reports a message"),
];

/** The value that puts a setting back to the server default (null in the change; commander cannot carry null). */
const DEFAULT = 'default';

function orDefault<T>(parse: (value: string) => T): (value: string) => T | typeof DEFAULT {
  return (value) => (value === DEFAULT ? DEFAULT : parse(value));
}

type UpdateOptions = { name?: string; description?: string; json?: boolean } & Record<string, unknown>;

/** Where commander puts a setting's value (`--held` → held, `--new-user-posts` → newUserPosts). */
const optionName = (s: ModerationSetting) => new Option(s.flag).attributeName();

/** `\n` and `\\` escapes in descriptions given on a command line (protocol §10.1). */
function unescapeDescription(text: string): string {
  return text.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

export async function roomOrFail(ctx: CliContext, token: string): Promise<Room> {
  const room = await (await ctx.get(RoomsService)).findByToken(parseRoomToken(token));
  if (!room) throw new CliError(`No such room: ${token}`);
  return room;
}

/** `rooms add|update|delete|list|image` (protocol §10.1, plus the room image the reference CLI lacks). */
export function registerRoomCommands(program: Command, ctx: CliContext): void {
  const rooms = program.command('rooms').description('Create, change, delete and list rooms');

  rooms
    .command('add')
    .description('Create a room')
    .argument('<token>', 'room token: 1-64 letters, digits, _ or - (used in the join URL)')
    .option('-n, --name <name>', 'display name (default: the token)')
    .option('-d, --description <text>', 'description (\\n for a new line)')
    .action(async (token: string, opts: { name?: string; description?: string }) => {
      parseRoomToken(token);
      const description = opts.description === undefined ? undefined : unescapeDescription(opts.description);
      const room = await (await ctx.get(RoomsService)).createRoom(token, { name: opts.name, description });
      if (!room) throw new CliError(`Room ${token} already exists`);
      ctx.out(`Created room ${token}`);
      ctx.out(`Join URL: ${joinUrl(ctx.config(), token, ctx.serverKey().publicKeyHex)}`);
    });

  const update = rooms
    .command('update')
    .description("Rename a room, change its description, or change its moderation settings ('default' = back to the server default)")
    .argument('<token>', 'room token')
    .option('-n, --name <name>', 'new display name')
    .option('-d, --description <text>', "new description ('' removes it; \\n for a new line)");
  for (const s of MODERATION_SETTINGS) update.option(s.flag, `${s.help}; 'default' = the server's`, orDefault(s.parse));
  update.option('--json', 'print the moderation settings as JSON').action(async (token: string, opts: UpdateOptions) => {
    const change: RoomModerationChange = {};
    for (const s of MODERATION_SETTINGS) {
      const value = opts[optionName(s)];
      if (value !== undefined) Object.assign(change, { [s.key]: value === DEFAULT ? null : value });
    }
    const settings = Object.keys(change).length > 0;
    if (opts.name === undefined && opts.description === undefined && !settings) {
      throw new UsageError(`Give at least one of --name, --description, ${MODERATION_SETTINGS.map((s) => s.flag.split(' ')[0]).join(', ')}`);
    }
    const room = await roomOrFail(ctx, token);
    if (opts.name !== undefined || opts.description !== undefined) {
      const description = opts.description === undefined ? undefined : opts.description === '' ? null : unescapeDescription(opts.description);
      const { info_updates } = await (await ctx.get(RoomsService)).updateRoom(room, { name: opts.name, description });
      ctx.out(`Updated room ${room.token} (info_updates ${info_updates})`);
    }
    if (!settings) return;
    const { own, effective } = await (await ctx.get(ModerationService)).setRoomModeration(room, change);
    if (opts.json) return ctx.json({ room: room.token, own, effective });
    ctx.out(`Moderation settings of ${room.token}:`);
    for (const s of MODERATION_SETTINGS) ctx.out(`  ${s.label}: ${s.show(effective[s.key])}${s.key in own ? '' : ' (server default)'}`);
  });

  const action = (name: string) => (value: string) => {
    if (!(RULE_ACTIONS as readonly string[]).includes(value)) throw new UsageError(`${name} must be one of ${RULE_ACTIONS.join(', ')}`);
    return value;
  };
  const count = (name: string) => (value: string) => {
    if (!/^\d{1,15}$/.test(value)) throw new UsageError(`${name} must be a whole number (0 = off)`);
    return Number(value);
  };
  const orAllow = (name: string) => (value: string) => (value === 'allow' ? value : action(name)(value));
  const rate = (value: string) => {
    const m = /^(\d{1,5})\/(\d{1,5})s?$/.exec(value);
    if (!m) throw new UsageError('--slow-mode must be POSTS/SECONDS, e.g. 1/30 (0/1 = no limit)');
    return { posts: Number(m[1]), seconds: Number(m[2]) };
  };
  rooms
    .command('policy')
    .description("Show or change a room's content rules (each over the server's CONTENT_* default); --reset RULE goes back to the default")
    .argument('<token>', 'room token')
    .option('--max-chars <n>', 'longest message body in characters (0 = off)', count('--max-chars'))
    .option('--max-chars-action <action>', 'refuse, silent or hold', action('--max-chars-action'))
    .option('--mentions <n>', 'most mentions in one message (0 = off)', count('--mentions'))
    .option('--mentions-action <action>', 'refuse, silent or hold', action('--mentions-action'))
    .option('--words <list>', "comma-separated words/phrases (folded: NFKC and confusables; '' = none)")
    .option('--words-action <action>', 'refuse, silent or hold', action('--words-action'))
    .option('--pattern <regex>', 'a regular expression (repeat for several; at most 200 characters, no nested repetition)', (v: string, all: string[] = []) => [...all, v])
    .option('--no-patterns', 'remove the room’s regular expressions')
    .option('--patterns-action <action>', 'refuse, silent or hold', action('--patterns-action'))
    .option('--unreadable <action>', 'a message whose text cannot be read: allow, refuse, silent or hold')
    .option('--links <action>', 'a link (URL or preview) from a user who is not trusted: allow, refuse, silent or hold', orAllow('--links'))
    .option('--new-user-attachments <action>', 'an attachment from a restricted new user: allow, refuse, silent or hold', orAllow('--new-user-attachments'))
    .option('--slow-mode <posts/seconds>', 'slow mode: at most POSTS per SECONDS per user, in place of RATE_LIMIT_POSTS; moderators exempt', rate)
    .option('--quota-posts-per-day <n>', 'posts per user per rolling day here (0 = none)', count('--quota-posts-per-day'))
    .option('--quota-upload-bytes-per-day <n>', 'bytes a user may upload here per rolling day (0 = none)', count('--quota-upload-bytes-per-day'))
    .option('--quota-reactions-per-minute <n>', 'reactions a user may add here per rolling minute (0 = none)', count('--quota-reactions-per-minute'))
    .option(
      '--reset <rule>',
      'back to the server default: maxChars, mentions, words, patterns, unreadable, links, newUserAttachments, slowMode, quotas (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--json', 'print JSON')
    .action(async (token: string, opts: PolicyOptions) => {
      const room = await roomOrFail(ctx, token);
      const service = await ctx.get(RoomsService);
      const current = service.contentPolicy(room).effective;
      const patch: Record<string, unknown> = {};
      const limited = (limit: number | undefined, act: string | undefined, was: { limit: number; action: string }) =>
        limit === undefined && act === undefined ? undefined : { limit: limit ?? was.limit, action: act ?? was.action };
      patch.maxChars = limited(opts.maxChars, opts.maxCharsAction, current.maxChars);
      patch.mentions = limited(opts.mentions, opts.mentionsAction, current.mentions);
      if (opts.words !== undefined || opts.wordsAction !== undefined) {
        const list =
          opts.words === undefined
            ? current.words.list
            : opts.words
                .split(',')
                .map((w) => w.trim())
                .filter(Boolean);
        patch.words = { list, action: opts.wordsAction ?? current.words.action };
      }
      if (opts.pattern !== undefined || opts.patterns === false || opts.patternsAction !== undefined) {
        const list = opts.patterns === false ? [] : (opts.pattern ?? current.patterns.list);
        patch.patterns = { list, action: opts.patternsAction ?? current.patterns.action };
      }
      if (opts.unreadable !== undefined) patch.unreadable = opts.unreadable;
      if (opts.links !== undefined) patch.links = opts.links;
      if (opts.newUserAttachments !== undefined) patch.newUserAttachments = opts.newUserAttachments;
      if (opts.slowMode !== undefined) patch.slowMode = opts.slowMode;
      if (opts.quotaPostsPerDay !== undefined || opts.quotaUploadBytesPerDay !== undefined || opts.quotaReactionsPerMinute !== undefined) {
        patch.quotas = {
          postsPerDay: opts.quotaPostsPerDay ?? current.quotas.postsPerDay,
          uploadBytesPerDay: opts.quotaUploadBytesPerDay ?? current.quotas.uploadBytesPerDay,
          reactionsPerMinute: opts.quotaReactionsPerMinute ?? current.quotas.reactionsPerMinute,
        };
      }
      for (const rule of opts.reset ?? []) patch[rule] = null;
      for (const key of Object.keys(patch)) if (patch[key] === undefined) delete patch[key];
      const policy = Object.keys(patch).length ? await service.setContentPolicy(room, patch) : service.contentPolicy(room);
      if (opts.json) return ctx.json({ room: room.token, ...policy });
      const e = policy.effective;
      const own = (rule: keyof typeof e) => (rule in policy.own ? '' : ' (server default)');
      const limit = (l: { limit: number; action: string }) => (l.limit ? `${l.limit}, ${l.action}` : 'off');
      ctx.out(
        [
          `Content rules of ${room.token}:`,
          `  max chars:  ${limit(e.maxChars)}${own('maxChars')}`,
          `  mentions:   ${limit(e.mentions)}${own('mentions')}`,
          `  words:      ${e.words.list.length ? `${e.words.list.length} (${e.words.action})` : 'none'}${own('words')}`,
          `  patterns:   ${e.patterns.list.length ? `${e.patterns.list.join('  ')} (${e.patterns.action})` : 'none'}${own('patterns')}`,
          `  unreadable: ${e.unreadable}${own('unreadable')}`,
          `  links from untrusted users: ${e.links}${own('links')}`,
          `  attachments from new users: ${e.newUserAttachments}${own('newUserAttachments')}`,
          `  slow mode:  ${'slowMode' in policy.own ? `${e.slowMode.posts} per ${e.slowMode.seconds} s` : `off (the server's post rate, ${e.slowMode.posts} per ${e.slowMode.seconds} s)`}`,
          `  quotas:     ${e.quotas.postsPerDay || 'no'} posts/day, ${e.quotas.uploadBytesPerDay ? formatBytes(e.quotas.uploadBytesPerDay) : 'no'} uploads/day, ${e.quotas.reactionsPerMinute || 'no'} reactions/min${own('quotas')}`,
        ].join('\n'),
      );
    });

  rooms
    .command('lockdown')
    .description('Lock a room down for a while: only trusted users and moderators post, react and upload until it ends by itself')
    .argument('<token>', 'room token')
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 1h, 2d', parseDuration)
    .option('--reason <text>', 'shown to refused users and kept in the audit log')
    .option('--json', 'print JSON')
    .action(async (token: string, opts: { for: number; reason?: string; json?: boolean }) => {
      const room = await roomOrFail(ctx, token);
      const updated = await (await ctx.get(RoomsService)).lockdown(room, opts.for, opts.reason ?? null);
      const until = new Date(updated.lockdownUntil! * 1000).toISOString();
      if (opts.json) return ctx.json({ room: room.token, lockdown_until: updated.lockdownUntil, reason: updated.lockdownReason });
      ctx.out(`Room ${room.token} is locked down until ${until}`);
    });

  rooms
    .command('unlock')
    .description("End a room's lockdown now")
    .argument('<token>', 'room token')
    .option('--json', 'print JSON')
    .action(async (token: string, opts: { json?: boolean }) => {
      const room = await roomOrFail(ctx, token);
      const ended = await (await ctx.get(RoomsService)).unlock(room);
      if (opts.json) return ctx.json({ room: room.token, unlocked: ended });
      ctx.out(ended ? `Room ${room.token} is no longer locked down` : `Room ${room.token} was not locked down`);
    });

  rooms
    .command('delete')
    .description('Delete a room with all its messages, reactions, pins, permissions and files')
    .argument('<token>', 'room token')
    .option('-y, --yes', 'confirm the deletion (without it the command only says what would be deleted)')
    .action(async (token: string, opts: { yes?: boolean }) => {
      const room = await roomOrFail(ctx, token);
      if (!opts.yes) throw new UsageError(`Deleting ${room.token} removes all its messages and files; run again with --yes to confirm`);
      await (await ctx.get(RoomAdminService)).deleteRoom(room);
      ctx.out(`Deleted room ${room.token}`);
    });

  rooms
    .command('list')
    .description('List rooms with messages, size, files, active users, default permissions, moderators and join URL')
    .argument('[tokens...]', 'only these rooms')
    .option('--json', 'print JSON')
    .action(async (tokens: string[], opts: { json?: boolean }) => {
      const admin = await ctx.get(RoomAdminService);
      const all = tokens.length ? await Promise.all(tokens.map((t) => roomOrFail(ctx, t))) : await (await ctx.get(RoomsService)).allRooms();
      const listings: RoomListing[] = [];
      for (const room of all) listings.push(await admin.listing(room));
      if (opts.json) return ctx.json(listings);
      if (listings.length === 0) return ctx.out('No rooms. Create one with: community-server rooms add TOKEN --name NAME');
      for (const r of listings) ctx.out(describeRoom(r));
    });

  rooms
    .command('image')
    .description("Set a room's image from a file (replacing the previous image)")
    .argument('<token>', 'room token')
    .argument('<file>', 'image file: PNG, JPEG, GIF or WebP')
    .action(async (token: string, file: string) => {
      const room = await roomOrFail(ctx, token);
      let body: Buffer;
      try {
        body = readFileSync(file);
      } catch (err) {
        throw new CliError(`Cannot read ${file}: ${(err as Error).message}`);
      }
      const { file_id, info_updates } = await (await ctx.get(RoomAdminService)).setImage(room, body, basename(file));
      ctx.out(`Room ${room.token} image set to file ${file_id} (${formatBytes(body.length)}, info_updates ${info_updates})`);
    });
}

function describeRoom(r: RoomListing): string {
  const perms = (['read', 'accessible', 'write', 'upload'] as const).map((p) => `${r.default_permissions[p] ? '+' : '-'}${p}`).join(' ');
  const lines = [
    `${r.token}: ${r.name}`,
    ...(r.description ? [`  description: ${r.description.replace(/\n/g, '\n               ')}`] : []),
    `  join URL: ${r.join_url}`,
    `  messages: ${r.messages} (${formatBytes(r.message_bytes)}), ${r.deleted_messages} deleted`,
    `  files: ${r.files} (${formatBytes(r.file_bytes)})${r.image_id !== null ? `, image: file ${r.image_id}` : ''}`,
    `  active users: ${r.active_users.d1} (1d), ${r.active_users.d7} (7d), ${r.active_users.d14} (14d), ${r.active_users.d30} (30d)`,
    `  default permissions: ${perms}`,
    `  admins: ${r.admins.length}${r.hidden_admins.length ? ` (+${r.hidden_admins.length} hidden)` : ''}, moderators: ${r.moderators.length}${r.hidden_moderators.length ? ` (+${r.hidden_moderators.length} hidden)` : ''}`,
    ...[...r.admins, ...r.hidden_admins].map((s) => `    admin ${s}${r.hidden_admins.includes(s) ? ' (hidden)' : ''}`),
    ...[...r.moderators, ...r.hidden_moderators].map((s) => `    moderator ${s}${r.hidden_moderators.includes(s) ? ' (hidden)' : ''}`),
  ];
  return lines.join('\n') + '\n';
}
