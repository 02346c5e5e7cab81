import { z } from 'zod';
import { ATTACHMENT_MAX_ENCRYPTED } from '../crypto/attachment-size';
import { HELD_MODES } from '../moderation/room-moderation';

// Every setting of the server, read from the environment (protocol §10.2 for the reference defaults).
// Durations are seconds, sizes are bytes. Sections are grouped by the module that reads them.

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])])
  .transform((v) => (typeof v === 'boolean' ? v : ['true', '1', 'yes', 'on'].includes(v)));
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
const num = (def: number, min = 0) => z.coerce.number().min(min).default(def);
const DAY = 86400;
/**
 * An onion request carrying the largest client attachment as base64 inside a /batch sub-request
 * (13,631,488 characters) with room to spare for the JSON and onion framing: 14 MiB.
 */
const ONION_BODY_FOR_ATTACHMENTS = 14 * 1_048_576;

export const configSchema = z.object({
  // --- process and network
  ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  /** HTTP API processes (node:cluster workers sharing PORT) for ROLE all/api; `auto` = one per CPU core. */
  API_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)], { error: 'expected a whole number from 1 to 256, or auto' }).default(1),
  /** A dead API worker is restarted after this, doubled for each death in a row, at most ..._MAX_DELAY. */
  API_WORKER_RESTART_DELAY: num(1, 0),
  /** Longest restart delay; a worker that ran this long before dying starts the doubling over. */
  API_WORKER_RESTART_MAX_DELAY: num(60, 0),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(3000, 0, 65535),
  ADMIN_HOST: z.string().default('127.0.0.1'),
  ADMIN_PORT: int(3001, 0, 65535),
  BASE_URL: z.string().url().optional(),
  SHUTDOWN_TIMEOUT: num(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * The public listener's deadlines (seconds) and caps. Every client arrives from a service node's
   * address, so none is per address: a deadline ends a slow client, a cap is shared by all.
   */
  HTTP_HEADERS_TIMEOUT: num(10, 0.1),
  /** From the connection's first byte to the whole body received; past it the request gets 408. */
  HTTP_REQUEST_TIMEOUT: num(30, 0.1),
  /** An idle keep-alive connection is closed after this. */
  HTTP_KEEP_ALIVE_TIMEOUT: num(30, 0.1),
  /** Open connections per process; more are closed at once. */
  HTTP_MAX_CONNECTIONS: int(1024, 1),
  /** Bytes of request bodies still being received, per process; a body that would pass it gets 503. */
  HTTP_MAX_PENDING_BODY_BYTES: int(67_108_864, 1),
  /**
   * A process that answered no request for this long gives back its young generation (a scavenge);
   * 0 = never. At least 6: V8 judges the allocation rate over its last 5 s, and shrinks only when it is low.
   */
  IDLE_HEAP_TRIM_SECONDS: num(10, 0).refine((s) => s === 0 || s >= 6, { error: 'expected 0 (never) or at least 6 seconds' }),
  /** Debug only: lets inner routes answer plain HTTP requests that did not come through the gateway. */
  ALLOW_DIRECT_ROUTES: bool.default(false),

  // --- dependencies
  /** The default is the local database `npm run serve` creates, so the CLI finds it without any variable set. */
  DATABASE_URL: z.string().min(1).default('postgresql://postgres@127.0.0.1:5432/session_community'),
  DATABASE_POOL_SIZE: int(10, 1, 1000),
  /**
   * A database that stops answering fails requests (503) within these instead of hanging them
   * (seconds). Connect: opening a connection, and waiting for a free one of the pool.
   */
  DATABASE_CONNECT_TIMEOUT: num(3, 0.1),
  /** Longest statement (server-side statement_timeout; the client gives up half a second later). */
  DATABASE_STATEMENT_TIMEOUT: num(4, 0.1),
  DATABASE_LOCK_TIMEOUT: num(3, 0.1),
  /** A transaction left idle this long is ended by the server (a stuck request cannot hold its locks). */
  DATABASE_IDLE_TRANSACTION_TIMEOUT: num(10, 0.1),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().default('scs:'),
  /** A Redis command (or job enqueue) not answered by then fails (503); connecting likewise (seconds). */
  REDIS_COMMAND_TIMEOUT: num(1.5, 0.05),
  REDIS_CONNECT_TIMEOUT: num(5, 0.1),
  /**
   * Poll-path caches (rooms, permission overrides, users, latest DM ids) kept in each process and
   * emptied by the database's change notifications; seconds an entry may live at most. 0 = no caching
   * (e.g. behind a connection pooler that cannot LISTEN).
   */
  CACHE_TTL: int(300, 0),
  CACHE_MAX_ENTRIES: int(100_000, 1),
  /** messages/since replies shared by the pollers of one room (issue 18), kept per room for its current seqno; 0 = every poll its own. */
  SINCE_SHARED_ENTRIES: int(256, 0),

  // --- server identity (protocol §2.1)
  /** Relative paths (here and below) are relative to the installation directory, for the server and the CLI alike. */
  KEY_FILE: z.string().default('./data/key_x25519'),
  /** Bot identities (issue 16): NAME.key (raw Ed25519 seed, mode 0600) and NAME.json per bot. */
  BOTS_DIR: z.string().default('./data/bots'),

  // --- plugins (issue 16, docs/plugins.md)
  /** Plugin configurations (NAME.json, mode 0600) and in-process plugin modules. */
  PLUGINS_DIR: z.string().default('./data/plugins'),
  /** Seconds a plugin has to answer a decision hook; past it its default decision is taken. */
  PLUGIN_DEADLINE: num(0.2, 0.001),
  /** Seconds a plugin has to take a notification (a webhook's is retried after it). */
  PLUGIN_NOTIFY_TIMEOUT: num(10, 0.01),
  /** Heap of each in-process plugin's worker, in MiB; past it the worker is stopped and restarted. */
  PLUGIN_MEMORY_LIMIT: int(64, 8, 4096),
  /** A crashed or stuck worker is restarted after this, doubled for each crash in a row up to ..._MAX_DELAY. */
  PLUGIN_RESTART_DELAY: num(1, 0),
  PLUGIN_RESTART_MAX_DELAY: num(60, 0),
  /** Accepted clock difference of a signed webhook answer (and what a bot should accept of ours). */
  PLUGIN_SIGNATURE_WINDOW: int(300, 1),
  /** Largest webhook answer read. */
  PLUGIN_ANSWER_MAX_BYTES: int(65_536, 64),
  /** How often PLUGINS_DIR is checked for changed configurations (`plugins enable|disable`); 0 = at start only. */
  PLUGIN_RELOAD_INTERVAL: num(5, 0),
  /** Largest value (as JSON) a worker plugin may keep in its shared state (Redis). */
  PLUGIN_STATE_VALUE_MAX_BYTES: int(4096, 16, 1_048_576),
  /** Longest TTL or window, in seconds, of a plugin's state. */
  PLUGIN_STATE_MAX_TTL: int(604_800, 1),
  /** Most entries a plugin's windowed list keeps (the oldest go first). */
  PLUGIN_STATE_LIST_MAX: int(100, 1, 10_000),
  /** State operations one worker plugin may have in flight at once; more are refused at once. */
  PLUGIN_STATE_CONCURRENCY: int(32, 1, 1024),

  // --- onion gateway (protocol §4) and batches (protocol §6.1)
  ONION_MAX_BODY: int(ONION_BODY_FOR_ATTACHMENTS, 1),
  /** Sub-requests of one onion request, across every nesting level of /batch and /sequence. */
  BATCH_MAX_REQUESTS: int(128, 1),
  BATCH_MAX_BYTES: int(ONION_BODY_FOR_ATTACHMENTS, 1),
  /** The bodies of one batch's sub-replies together; later sub-requests past it answer 503. */
  BATCH_REPLY_MAX_BYTES: int(8_388_608, 1),
  JSON_MAX_DEPTH: int(64, 1),
  /** How long the reply of an authenticated request is kept so an identical retry gets it back. */
  /** Seconds one onion request may run: sub-requests of a batch not started by then answer 503. */
  REQUEST_DEADLINE: num(5, 0.1),
  /** Onion requests served at once per process (0 = no admission control); more wait, see below. */
  ADMISSION_MAX_IN_FLIGHT: int(16, 0),
  /** Requests waiting for a slot; past this they are refused at once with 503. */
  ADMISSION_MAX_QUEUE: int(1024, 0),
  /** Seconds a request may wait for a slot before it is refused with 503 and Retry-After. */
  ADMISSION_QUEUE_TIMEOUT: num(0.25, 0),
  RETRY_REPLY_WINDOW: int(120, 0),
  /** Replies larger than this are not kept for retries (the retry then gets the reference 425). */
  RETRY_REPLY_MAX_BYTES: int(262_144, 0),
  /** How long a retry waits for the original request to finish before it gets the 425. */
  RETRY_REPLY_WAIT: num(10, 0),

  // --- authentication (protocol §3)
  REQUIRE_BLIND_KEYS: bool.default(true),
  AUTH_TIMESTAMP_WINDOW: int(DAY, 1),
  /**
   * Signed requests per blinded id per window (0 = unlimited): one account's devices together poll
   * about 41 times a minute (README), so 300 is several times normal use, retries included.
   */
  USER_RATE_LIMIT: int(300, 0),
  USER_RATE_WINDOW: int(60, 1),
  /** Failed signatures per signing key per window (0 = unlimited); never refuses a valid signature. */
  AUTH_FAILURE_LIMIT: int(10, 0),
  AUTH_FAILURE_WINDOW: int(60, 1),

  // --- rooms and messages (protocol §6.2–6.5, §7, §9.2)
  ACTIVE_THRESHOLD: int(7 * DAY, 1),
  ACTIVE_PRUNE_THRESHOLD: int(60 * DAY, 1),
  /** Activity times are stored floored to this (docs/privacy.md): when someone was active, to the hour, not to the poll. */
  ACTIVITY_GRANULARITY: int(3600, 60),
  /** Edit history nothing serves (moderators' evidence at most): kept a week; 0 = forever. */
  HISTORY_PRUNE_THRESHOLD: int(7 * DAY, 0),
  /** Audit log entries (issue 14) are kept this long (0 = forever). */
  AUDIT_RETENTION: int(365 * DAY, 0),
  // A policy rule's refusals (slow mode, quotas, DM policy) of one user are audit-logged at most once
  // per this many seconds per rule and room: a flood of refused requests must not become a flood of rows.
  AUDIT_REFUSAL_INTERVAL: int(3600, 1),
  /**
   * Held posts and reports (issue 14, README "Moderation"): the server's defaults; a room's own
   * settings (`rooms update`) take their place. Held: off, new (new users), untrusted, or all
   * (everyone but moderators); src/moderation/room-moderation.ts.
   */
  HELD_MODE: z.enum(HELD_MODES).default('off'),
  APPROVE_EMOJI: z.string().min(1).default('✅'),
  REJECT_EMOJI: z.string().min(1).default('❌'),
  REPORT_EMOJI: z.string().min(1).default('🚩'),
  /** Counted reports from distinct users that hide a message until a moderator decides. */
  REPORT_THRESHOLD: int(3, 1),
  /** A user's reports beyond this many in a day are kept but do not count. */
  REPORTS_PER_DAY: int(10, 1),
  /** A reporter with this many dismissed reports stops counting (0 = never). */
  REPORTS_DISMISSED_LIMIT: int(3, 0),
  /** Reports are kept this long (0 = forever), then pruned. */
  REPORTS_RETENTION: int(90 * DAY, 0),
  /**
   * New users (issue 14 item 2), unless the room sets its own (`rooms update --new-user-posts/--new-user-age`):
   * fewer accepted posts in the room than this, or first seen there less than this many seconds ago.
   * 0 turns that half off; both 0 = nobody is new.
   */
  NEW_USER_POSTS: int(3, 0, 1000),
  NEW_USER_AGE: int(DAY, 0),
  /** Longest mute reason (`mute --reason`), in characters: it is sent back as the 403 text of a refused post. */
  MUTE_REASON_MAX_CHARS: int(200, 1, 2000),
  MESSAGE_LIMIT_DEFAULT: int(100, 1),
  MESSAGE_LIMIT_MAX: int(256, 1),
  REACTORS_DEFAULT: int(4, 0),
  REACTORS_MAX: int(20, 0),
  REACTION_MAX_CODEPOINTS: int(12, 1),
  /**
   * Different reactions one message may carry (0 = unlimited). Real messages rarely show more than a
   * dozen; each new one costs a seqno and rides along on every poll of the message.
   */
  REACTIONS_MAX_DISTINCT_PER_MESSAGE: int(32, 0),
  /** Reactions a user may add per window, all rooms together (0 = unlimited); removals are free. */
  REACTION_RATE_LIMIT: int(30, 0),
  REACTION_RATE_WINDOW: int(60, 1),
  /**
   * Largest message body (room post or DM). A 10,000-character Session Pro message, padded and with
   * with a quote of another, a link preview and 32 attachment pointers, measures 20 KB (ASCII) to
   * 90 KB (all 4-byte emoji): 128 KiB leaves headroom.
   */
  MESSAGE_MAX_BYTES: int(131_072, 1),
  /** Largest JSON of one message list reply; a list holds fewer messages when they are large (at least one). */
  REPLY_MAX_BYTES: int(1_048_576, 1),
  RATE_LIMIT_POSTS: int(5, 0),
  RATE_LIMIT_WINDOW: num(16, 0),
  /** A post repeated with the same author, room and signature within this window returns the original. */
  POST_IDEMPOTENCY_WINDOW: int(3600, 0),
  /**
   * Group commits (issue 18 item 3): posts waiting for the database go together, one statement and
   * one commit for up to POST_BATCH_MAX of them (1 = off: each alone, at once); the first of a batch waits
   * POST_BATCH_WINDOW_MS (milliseconds) for others, 0 = only those already waiting; at most
   * POST_BATCH_CONCURRENCY batches are in flight per process, later posts wait for one to end.
   * POST_BATCH_MAX_BYTES caps a batch's message data and signatures (a post larger than it goes alone),
   * so one statement stays a few MB however large the posts.
   */
  POST_BATCH_MAX: int(64, 1, 1000),
  POST_BATCH_MAX_BYTES: int(1_048_576, 1),
  POST_BATCH_WINDOW_MS: int(0, 0, 50),
  POST_BATCH_CONCURRENCY: int(1, 1, 100),
  PROFANITY_FILTER: bool.default(false),
  PROFANITY_SILENT: bool.default(true),
  PROFANITY_CUSTOM: z.string().optional(),
  ALPHABET_FILTERS: z.string().default(''),
  ALPHABET_SILENT: bool.default(true),
  FILTER_MODS: bool.default(false),
  /**
   * Content rules (issue 15 item 5): the server's defaults for every room; a room's own settings
   * (`rooms policy`) take their place. A limit of 0 or an empty list is off; actions are refuse
   * (403 with a reason), silent (stored filtered, like the silent filters above) or hold (stored
   * hidden until a moderator reviews it).
   */
  CONTENT_MAX_CHARS: int(0),
  CONTENT_MAX_CHARS_ACTION: z.enum(['refuse', 'silent', 'hold']).default('refuse'),
  CONTENT_MAX_MENTIONS: int(0),
  CONTENT_MENTIONS_ACTION: z.enum(['refuse', 'silent', 'hold']).default('refuse'),
  /** Comma-separated words and phrases, matched whole in NFKC + confusable-folded text. */
  CONTENT_WORDS: z.string().default(''),
  CONTENT_WORDS_ACTION: z.enum(['refuse', 'silent', 'hold']).default('silent'),
  /** A message whose text cannot be read (neither Content nor Envelope, protocol §7.6): allow (logged, counted), refuse, silent or hold. */
  CONTENT_UNREADABLE: z.enum(['allow', 'refuse', 'silent', 'hold']).default('allow'),
  /** Links (a URL or a link preview) from users who are not trusted, and attachments from restricted new users (issue 14 standing): allow, refuse, silent or hold. */
  CONTENT_LINKS_UNTRUSTED: z.enum(['allow', 'refuse', 'silent', 'hold']).default('allow'),
  CONTENT_NEW_USER_ATTACHMENTS: z.enum(['allow', 'refuse', 'silent', 'hold']).default('allow'),
  /**
   * Quotas (issue 15 item 3) over rolling windows, per user: in every room unless the room sets its
   * own (`rooms policy --quota-…`), and server-wide; 0 = none. Both blinded forms of a user are one.
   */
  QUOTA_ROOM_POSTS_PER_DAY: int(0),
  QUOTA_ROOM_UPLOAD_BYTES_PER_DAY: int(0),
  QUOTA_ROOM_REACTIONS_PER_MINUTE: int(0),
  // Off by default like the rooms' quotas: its Redis window costs ≈ 0.2 ms of CPU per post, 14 % of
  // the post path (BENCHMARKS.md), and RATE_LIMIT_POSTS already bounds each room.
  QUOTA_POSTS_PER_DAY: int(0),
  /** Regular expressions of a room read at most this many characters of a message (bounded matching time). */
  CONTENT_PATTERN_INPUT_MAX: int(4000, 1, 100_000),

  // --- direct messages (protocol §6.9)
  DM_EXPIRY: int(15 * DAY, 1),
  DM_RATE_LIMIT: int(30, 0),
  DM_RATE_WINDOW: int(60, 1),
  /**
   * DM policy (issue 15 item 4), server-wide as DMs are: senders banned globally are refused every
   * request already (protocol §3.5); DM_REFUSE_ROOM_BANNED also refuses DMs from a user banned in
   * any room; senders without standing (never
   * posted in any room, first seen less than DM_MIN_AGE seconds ago); past DM_DAILY_LIMIT per
   * sender per rolling day; and more than DM_UNANSWERED_MAX pending DMs in one inbox from senders
   * its owner never wrote to. Global moderators are exempt from all but the daily limit.
   */
  DM_REFUSE_ROOM_BANNED: bool.default(false),
  DM_REQUIRE_POSTED: bool.default(false),
  DM_MIN_AGE: int(0),
  DM_DAILY_LIMIT: int(500, 0),
  DM_UNANSWERED_MAX: int(100, 0),

  // --- files (protocol §6.6, §9.1, §9.3, §12)
  STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
  STORAGE_DIR: z.string().default('./data/files'),
  S3_ENDPOINT: z.string().optional(),
  S3_BUCKET: z.string().default('session-community'),
  S3_ACCESS_KEY: z.string().optional(),
  S3_SECRET_KEY: z.string().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_PATH_STYLE: bool.default(true),
  /** An S3 request whose connection stays silent this long fails (seconds; minio tries twice). */
  S3_REQUEST_TIMEOUT: num(2.5, 0.1),
  /** Master key file(s) wrapping per-object keys: first is current, the rest stay readable (rotation). */
  MASTER_KEY_FILE: z.string().default('./data/master_key'),
  MASTER_KEY_OLD_FILES: z.string().default(''),
  /** Every attachment a current client produces (protocol §9.1): 10,223,616 bytes. */
  FILE_MAX_SIZE: int(ATTACHMENT_MAX_ENCRYPTED, 1),
  FILE_UPLOAD_EXPIRY: int(3600, 1),
  /** files.uploader is forgotten this long after the upload (never before FILE_UPLOAD_EXPIRY: attaching needs it). */
  FILE_UPLOADER_RETENTION: int(DAY, 0),
  /** Expiry of attached files; 0 = never expire (protocol §10.2 `files.expiry`). */
  FILE_EXPIRY: int(15 * DAY, 0),
  FILE_SERVER_MAX_SIZE: int(ATTACHMENT_MAX_ENCRYPTED, 1),
  FILE_SERVER_EXPIRY: int(21 * DAY, 1),
  /** Largest X-FS-TTL honoured; 0 = the header is ignored (protocol §12.1). */
  FILE_SERVER_MAX_TTL: int(0, 0),
  FILE_SERVER_CONTENT_IDS: bool.default(true),
  /**
   * File-server uploads (anonymous, all arriving from service nodes) across the whole server per
   * window: one budget for everyone, bounding how fast storage and write work can grow (0 = off).
   */
  FILE_SERVER_UPLOAD_RATE: int(600, 0),
  FILE_SERVER_UPLOAD_BYTES_RATE: int(300_000_000, 0),
  FILE_SERVER_UPLOAD_RATE_WINDOW: int(60, 1),
  /**
   * Bytes the file server may hold in all (its uploads are anonymous); past it uploads get 507.
   * 10 GiB: about 1,050 maximum-size uploads over the 21-day expiry. 0 = unlimited.
   */
  FILE_SERVER_MAX_STORAGE: int(10 * 1024 ** 3, 0),
  UPLOAD_QUOTA_BYTES: int(1_000_000_000, 0),
  UPLOAD_QUOTA_WINDOW: int(DAY, 1),
  UPLOAD_CONCURRENCY: int(16, 1),

  // --- periodic work (protocol §9.4)
  CLEANUP_INTERVAL: num(10, 1),
  FILE_SWEEP_INTERVAL: num(60, 1),
  /**
   * How long a worker's claim on a running job lasts without renewal (seconds). A job whose worker
   * died is handed to another worker once its claim lapses (within two of these intervals).
   */
  JOB_LOCK_DURATION: num(30, 1),

  // --- health, metrics, logs (admin port)
  /** Longest wait for each dependency (Postgres, Redis, storage) in /readyz, in seconds. */
  READY_CHECK_TIMEOUT: num(2, 0.05),

  // --- web page (protocol §6.10)
  WEB_SHOW_INDEX: bool.default(true),
  WEB_SHOW_RECENT: bool.default(false),

  // --- admin console (issue 17; served on the admin listener only)
  CONSOLE_ENABLED: bool.default(true),
  /** Public address of the admin listener in printed sign-in links (a port-forward, say); default http://ADMIN_HOST:ADMIN_PORT. */
  CONSOLE_URL: z.string().url().optional(),
  /** How long a signed-in console session lasts (seconds), from sign-in. */
  CONSOLE_SESSION_TTL: int(8 * 3600, 60),
  /** How long a `console login` link stays valid unless --ttl says otherwise; --ttl may not exceed CONSOLE_LOGIN_MAX_TTL. */
  CONSOLE_LOGIN_TTL: int(600, 10),
  CONSOLE_LOGIN_MAX_TTL: int(3600, 10),
  /** Per-hour post counts of each room (the console's chart) are kept this long. */
  POST_COUNTS_RETENTION: int(90 * DAY, 3600),
});

export type AppConfig = z.infer<typeof configSchema>;
