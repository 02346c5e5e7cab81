import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { migrate, readMigrations } from '../src/database/migrate';

/*
 * The benchmark database. A seed database is created once, migrated with the project's own
 * migrate function and filled with direct SQL (generate_series: a million messages take seconds,
 * not the hours it would take through the API). Each run copies it (CREATE DATABASE … TEMPLATE)
 * so posts and uploads of one run never leak into the next; a seed is named by a hash of the
 * migrations and this seeding, so it is rebuilt only when they change.
 */

/** Rooms polled by idle/busy poll: POLL_ROOMS rooms of SMALL_ROOM_MESSAGES messages. */
export const POLL_ROOMS = 20;
export const SMALL_ROOM_MESSAGES = 1_000;
export const BIG_ROOM_MESSAGES = 1_000_000;
/** The newest messages of every polled room are 1 KB ("10 new 1 KB messages since the last poll"). */
export const NEW_MESSAGES = 10;
export const NEW_MESSAGE_BYTES = 1024;
export const POST_ROOMS = 10;

export const pollRoom = (i: number) => `bench${i}`;
export const BIG_ROOM = 'big';
export const postRoom = (i: number) => `post${i}`;

const POSTERS = 50;

// Bump when the seeding below changes: the hash then no longer matches and the seed is rebuilt.
const SEED_VERSION = 'bench-seed-3';

export interface RoomState {
  token: string;
  infoUpdates: number;
  messageSequence: number;
  /** The seqno a client had before the newest NEW_MESSAGES messages and their reactions. */
  busySince: number;
  /** The id of the room's newest message (0 when it has none). */
  newestMessage: number;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function seedHash(): string {
  const h = createHash('sha256').update(SEED_VERSION);
  for (const m of readMigrations()) h.update(`${m.name}:${m.checksum}\n`);
  h.update(`${POLL_ROOMS}/${SMALL_ROOM_MESSAGES}/${BIG_ROOM_MESSAGES}/${NEW_MESSAGES}/${NEW_MESSAGE_BYTES}/${POST_ROOMS}`);
  return h.digest('hex').slice(0, 16);
}

/** Messages 1..count with seqno = id order; the newest NEW_MESSAGES are 1 KB, the rest 96 bytes. */
async function insertMessages(c: Client, roomId: number, count: number, firstPoster: number): Promise<void> {
  await c.query(
    `INSERT INTO messages (room, "user", posted, seqno, seqno_data, seqno_reactions, seqno_creation, data, data_size, signature)
     SELECT $1, $2 + (g % ${POSTERS}), date_part('epoch', now()) - ($3::int - g) * 0.25, g, g, 0, g,
       CASE WHEN g > $3::int - ${NEW_MESSAGES} THEN decode(repeat(md5(g::text), ${NEW_MESSAGE_BYTES / 16}), 'hex')
            ELSE decode(repeat(md5(g::text), 6), 'hex') END,
       CASE WHEN g > $3::int - ${NEW_MESSAGES} THEN ${NEW_MESSAGE_BYTES} ELSE 96 END,
       decode(md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text), 'hex')
     FROM generate_series(1, $3::int) g`,
    [roomId, firstPoster, count],
  );
}

/**
 * Reaction changes after the last poll: each of the NEW_MESSAGES newest messages gets 👍 from
 * three users and ❤️ from two; the NEW_MESSAGES before them get one 👍 each (so a poll since
 * `busySince` returns 10 full messages and 10 reaction-only updates, protocol §7.2). Every
 * user-reaction takes the next seqno, as the server assigns them (protocol §7.1).
 */
async function insertReactions(c: Client, roomId: number, count: number, firstPoster: number): Promise<void> {
  const { rows } = await c.query<{ id: number; seqno_creation: number }>(
    `SELECT id, seqno_creation FROM messages WHERE room = $1 AND seqno_creation > $2 ORDER BY seqno_creation`,
    [roomId, count - 2 * NEW_MESSAGES],
  );
  let seq = count;
  const now = Date.now() / 1000;
  for (const m of rows) {
    const fresh = m.seqno_creation > count - NEW_MESSAGES;
    const plan: Array<[string, number]> = fresh
      ? [
          ['👍', 3],
          ['❤️', 2],
        ]
      : [['👍', 1]];
    for (const [emoji, users] of plan) {
      const { rows: r } = await c.query<{ id: number }>(`INSERT INTO reactions (message, reaction) VALUES ($1, $2) RETURNING id`, [m.id, emoji]);
      for (let u = 0; u < users; u++) {
        seq++;
        await c.query(`INSERT INTO user_reactions (reaction, "user", at) VALUES ($1, $2, $3)`, [r[0].id, firstPoster + u, now - 60 + seq * 0.001]);
      }
    }
    await c.query(`UPDATE messages SET seqno_reactions = $2, seqno = $2 WHERE id = $1`, [m.id, seq]);
  }
  await c.query(`UPDATE rooms SET message_sequence = $2 WHERE id = $1`, [roomId, seq]);
}

async function fill(url: string, log: (line: string) => void): Promise<void> {
  await withClient(url, async (c) => {
    await c.query('SET synchronous_commit = off');
    const { rows: posters } = await c.query<{ id: number }>(
      `INSERT INTO users (session_id) SELECT '15' || lpad(to_hex(g), 64, '0') FROM generate_series(1, ${POSTERS}) g RETURNING id`,
    );
    const firstPoster = Math.min(...posters.map((p) => p.id));
    const room = async (token: string, name: string) => (await c.query<{ id: number }>(`INSERT INTO rooms (token, name) VALUES ($1, $2) RETURNING id`, [token, name])).rows[0].id;

    for (let i = 0; i < POLL_ROOMS; i++) {
      const id = await room(pollRoom(i), `Bench room ${i}`);
      await insertMessages(c, id, SMALL_ROOM_MESSAGES, firstPoster);
      await insertReactions(c, id, SMALL_ROOM_MESSAGES, firstPoster);
    }
    log(`seeded ${POLL_ROOMS} rooms of ${SMALL_ROOM_MESSAGES} messages`);
    const big = await room(BIG_ROOM, 'Bench room with a million messages');
    const t0 = Date.now();
    await insertMessages(c, big, BIG_ROOM_MESSAGES, firstPoster);
    await insertReactions(c, big, BIG_ROOM_MESSAGES, firstPoster);
    log(`seeded room ${BIG_ROOM} with ${BIG_ROOM_MESSAGES} messages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (let i = 0; i < POST_ROOMS; i++) await room(postRoom(i), `Post room ${i}`);
    await c.query('ANALYZE');
  });
}

/**
 * A fresh copy of the seed database named `runDb`. The seed is `<seedPrefix>_<hash>`, built first
 * when missing: builds of different migrations (a before/after pair run in alternating rounds) each
 * keep their own seed instead of rebuilding one in turn. Seeds of other hashes are listed, not
 * dropped (another build may still use its own). Returns the run database URL.
 */
export async function prepareDatabase(adminUrl: string, seedPrefix: string, runDb: string, log: (line: string) => void): Promise<string> {
  const hash = seedHash();
  const seedDb = `${seedPrefix}_${hash}`;
  const seedUrl = databaseUrl(adminUrl, seedDb);
  await withClient(adminUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string; comment: string | null }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname LIKE $1 || '%'`,
      [seedPrefix],
    );
    const others = rows.filter((r) => r.datname !== seedDb).map((r) => r.datname);
    if (others.length > 0) log(`other bench seed databases (of other builds; DROP DATABASE them when done): ${others.join(', ')}`);
    if (rows.some((r) => r.datname === seedDb && r.comment === hash)) {
      log(`reusing seed database ${seedDb}`);
    } else {
      log(`building seed database ${seedDb}; this happens once per schema change`);
      await admin.query(`DROP DATABASE IF EXISTS ${quote(seedDb)} WITH (FORCE)`);
      await migrate(seedUrl, { log: () => undefined });
      await fill(seedUrl, log);
      // The comment marks the seed complete: a run stopped while filling leaves one without it, rebuilt next time.
      await admin.query(`COMMENT ON DATABASE ${quote(seedDb)} IS '${hash}'`);
    }
    await admin.query(`DROP DATABASE IF EXISTS ${quote(runDb)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quote(runDb)} TEMPLATE ${quote(seedDb)}`);
  });
  return databaseUrl(adminUrl, runDb);
}

export async function roomStates(url: string): Promise<Map<string, RoomState>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ token: string; info_updates: number; message_sequence: number; busy_since: number | null; newest: number | null }>(
      `SELECT r.token::text AS token, r.info_updates, r.message_sequence,
         (SELECT max(seqno_creation) FROM messages m WHERE m.room = r.id) - ${NEW_MESSAGES} AS busy_since,
         (SELECT max(id) FROM messages m WHERE m.room = r.id) AS newest
       FROM rooms r`,
    );
    return new Map(
      rows.map((r) => [
        r.token,
        {
          token: r.token,
          infoUpdates: Number(r.info_updates),
          messageSequence: Number(r.message_sequence),
          busySince: Math.max(0, Number(r.busy_since ?? 0)),
          newestMessage: Number(r.newest ?? 0),
        },
      ]),
    );
  });
}

/**
 * Drops the run databases (`<prefix><pid>`) of bench processes that are no longer running: a run
 * stopped by a signal leaves its copy of the seed (≈ 400 MB) behind.
 */
export async function dropOrphanRunDatabases(adminUrl: string, prefix: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) {
      const pid = Number(datname.slice(prefix.length));
      if (Number.isSafeInteger(pid) && pid > 0 && !processRunning(pid)) await c.query(`DROP DATABASE IF EXISTS ${quote(datname)} WITH (FORCE)`);
    }
  });
}

function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`));
}
