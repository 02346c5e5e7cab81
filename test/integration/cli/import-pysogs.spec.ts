import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SogsClient } from '../../../src/client';
import { blind15IdsFromSessionId, ed25519PublicKey, hexToBytes, sessionIdFromEd25519Pub } from '../../../src/crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { expectStatus, messageBody } from '../../support/rooms-fixtures';
import { cli, cliOk, envFor } from './cli-helpers';

// Issue 5 "Done when": `import pysogs` on a pysogs-shaped SQLite database (protocol §8) with rooms,
// users, messages, reactions, pins, permissions and files; afterwards polling returns the same
// messages with the same ids and seqnos.

/** pysogs' SQLite schema (protocol §8), the tables and columns the import reads. */
const PYSOGS_SCHEMA = `
CREATE TABLE rooms (id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL, description TEXT,
  image INTEGER, created FLOAT NOT NULL, message_sequence INTEGER NOT NULL DEFAULT 0, info_updates INTEGER NOT NULL DEFAULT 0,
  active_users INTEGER NOT NULL DEFAULT 0, read BOOLEAN NOT NULL DEFAULT TRUE, accessible BOOLEAN NOT NULL DEFAULT TRUE,
  write BOOLEAN NOT NULL DEFAULT TRUE, upload BOOLEAN NOT NULL DEFAULT TRUE);
CREATE TABLE users (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL UNIQUE, created FLOAT NOT NULL, last_active FLOAT NOT NULL,
  banned BOOLEAN NOT NULL DEFAULT FALSE, moderator BOOLEAN NOT NULL DEFAULT FALSE, admin BOOLEAN NOT NULL DEFAULT FALSE,
  visible_mod BOOLEAN NOT NULL DEFAULT FALSE);
CREATE TABLE messages (id INTEGER PRIMARY KEY, room INTEGER NOT NULL REFERENCES rooms, user INTEGER NOT NULL REFERENCES users,
  posted FLOAT NOT NULL, edited FLOAT, seqno INTEGER NOT NULL, seqno_data INTEGER NOT NULL, seqno_reactions INTEGER NOT NULL DEFAULT 0,
  seqno_creation INTEGER NOT NULL, data BLOB, data_size INTEGER, signature BLOB, filtered BOOLEAN NOT NULL DEFAULT FALSE,
  whisper INTEGER REFERENCES users, whisper_mods BOOLEAN NOT NULL DEFAULT FALSE);
CREATE TABLE message_history (message INTEGER NOT NULL REFERENCES messages, replaced FLOAT NOT NULL, data BLOB NOT NULL, signature BLOB NOT NULL);
CREATE TABLE pinned_messages (room INTEGER NOT NULL, message INTEGER NOT NULL, pinned_by INTEGER NOT NULL, pinned_at FLOAT NOT NULL, PRIMARY KEY(room, message));
CREATE TABLE files (id INTEGER PRIMARY KEY, room INTEGER REFERENCES rooms, uploader INTEGER REFERENCES users, message INTEGER REFERENCES messages,
  size INTEGER NOT NULL, uploaded FLOAT NOT NULL, expiry FLOAT, filename TEXT, path TEXT NOT NULL);
CREATE TABLE reactions (id INTEGER PRIMARY KEY, message INTEGER NOT NULL REFERENCES messages, reaction TEXT NOT NULL, UNIQUE(message, reaction));
CREATE TABLE user_reactions (reaction INTEGER NOT NULL REFERENCES reactions, user INTEGER NOT NULL REFERENCES users, at FLOAT NOT NULL, PRIMARY KEY(reaction, user));
CREATE TABLE user_permission_overrides (room INTEGER NOT NULL, user INTEGER NOT NULL, banned BOOLEAN NOT NULL DEFAULT FALSE, read BOOLEAN,
  accessible BOOLEAN, write BOOLEAN, upload BOOLEAN, moderator BOOLEAN NOT NULL DEFAULT FALSE, admin BOOLEAN NOT NULL DEFAULT FALSE,
  visible_mod BOOLEAN NOT NULL DEFAULT TRUE, PRIMARY KEY(room, user));
CREATE TABLE user_permission_futures (room INTEGER NOT NULL, user INTEGER NOT NULL, at FLOAT NOT NULL, read BOOLEAN, write BOOLEAN, upload BOOLEAN);
CREATE TABLE user_ban_futures (room INTEGER, user INTEGER NOT NULL, at FLOAT NOT NULL, banned BOOLEAN NOT NULL);
CREATE TABLE room_users (room INTEGER NOT NULL, user INTEGER NOT NULL, last_active FLOAT NOT NULL, PRIMARY KEY(room, user));
CREATE TABLE needs_blinding (blinded_abs TEXT NOT NULL PRIMARY KEY, user INTEGER NOT NULL UNIQUE);
CREATE TABLE inbox (id INTEGER PRIMARY KEY, recipient INTEGER NOT NULL, sender INTEGER NOT NULL, body BLOB NOT NULL, posted_at FLOAT, expiry FLOAT);
`;

/** Session-padded bytes as a client posts them, and what pysogs stores (unpadded + data_size; protocol §7.5). */
function padded(text: string): { posted: Buffer; stored: Buffer; size: number } {
  const stored = Buffer.from(text);
  const posted = Buffer.concat([stored, Buffer.from([0x80]), Buffer.alloc(40 - stored.length - 1)]);
  return { posted, stored, size: posted.length };
}

interface Msg {
  id: number;
  seqno: number;
  data?: string | null;
  deleted?: boolean;
  edited?: number;
  reactions?: Record<string, { count: number; reactors?: string[] }>;
  session_id?: string;
}

describe('import pysogs', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), 'scs-pysogs-'));
  const dbPath = join(dir, 'sogs.db');
  const seeds = { alice: randomBytes(32), bob: randomBytes(32), mod: randomBytes(32), carol: randomBytes(32) };
  // Carol is known to pysogs by her 05 id only, with a pending 05→15 move (protocol §2.4).
  const carol05 = sessionIdFromEd25519Pub(ed25519PublicKey(new Uint8Array(seeds.carol)));
  const client = (seed: Buffer) => new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed: new Uint8Array(seed) });
  const now = Date.now() / 1000;
  const m1 = padded('first message');
  const m1edit = padded('first message, edited');
  const m3 = padded('third');
  const m4 = padded('staff only');
  const fileBytes = randomBytes(3000);
  const imageBytes = randomBytes(500);

  beforeAll(async () => {
    ctx = await createTestContext();
    env = envFor(ctx.config);
    const [alice, bob, mod] = [client(seeds.alice), client(seeds.bob), client(seeds.mod)];

    const db = new Database(dbPath);
    db.exec(PYSOGS_SCHEMA);
    const ins = (sql: string, ...args: unknown[]) => db.prepare(sql).run(...args);
    ins('INSERT INTO users VALUES (0, ?, ?, ?, 0, 1, 1, 0)', `ff${ctx.serverPubkeyHex}`, now - 1000, now - 1000);
    ins('INSERT INTO users VALUES (3, ?, ?, ?, 0, 0, 0, 0)', alice.sessionId, now - 900, now - 10);
    ins('INSERT INTO users VALUES (4, ?, ?, ?, 0, 0, 0, 0)', bob.sessionId, now - 900, now - 10);
    ins('INSERT INTO users VALUES (5, ?, ?, ?, 0, 0, 0, 0)', mod.sessionId, now - 900, now - 10);
    ins('INSERT INTO users VALUES (6, ?, ?, ?, 0, 0, 0, 0)', carol05, now - 900, now - 10);
    ins('INSERT INTO needs_blinding VALUES (?, 6)', blind15IdsFromSessionId(carol05, hexToBytes(ctx.serverPubkeyHex)).abs);
    ins('INSERT INTO rooms VALUES (1, ?, ?, ?, 6, ?, 6, 3, 2, 1, 1, 1, 1)', 'Lobby', 'The Lobby', 'imported', now - 800);
    ins('INSERT INTO rooms VALUES (2, ?, ?, NULL, NULL, ?, 1, 0, 0, 0, 0, 1, 1)', 'staff', 'Staff', now - 800);
    // Lobby history: 10 posted (1), 11 posted (2), 12 posted (3), 10 edited (4), 11 deleted (5), reaction on 12 (6).
    ins('INSERT INTO messages VALUES (10, 1, 3, ?, ?, 4, 4, 0, 1, ?, ?, ?, 0, NULL, 0)', now - 700, now - 600, m1edit.stored, m1edit.size, randomBytes(64));
    ins('INSERT INTO messages VALUES (11, 1, 4, ?, ?, 5, 5, 0, 2, NULL, NULL, NULL, 0, NULL, 0)', now - 690, now - 500);
    ins('INSERT INTO messages VALUES (12, 1, 5, ?, NULL, 6, 3, 6, 3, ?, ?, ?, 0, NULL, 0)', now - 680, m3.stored, m3.size, randomBytes(64));
    ins('INSERT INTO messages VALUES (20, 2, 5, ?, NULL, 1, 1, 0, 1, ?, ?, ?, 0, NULL, 0)', now - 670, m4.stored, m4.size, randomBytes(64));
    ins('INSERT INTO message_history VALUES (10, ?, ?, ?)', now - 600, m1.stored, randomBytes(64));
    ins('INSERT INTO reactions VALUES (1, 12, ?)', '👍');
    ins('INSERT INTO user_reactions VALUES (1, 3, ?)', now - 400);
    ins('INSERT INTO pinned_messages VALUES (1, 12, 5, ?)', now - 300);
    ins('INSERT INTO user_permission_overrides VALUES (1, 4, 1, NULL, NULL, NULL, NULL, 0, 0, 1)');
    ins('INSERT INTO user_permission_overrides VALUES (1, 5, 0, NULL, NULL, NULL, NULL, 1, 0, 1)');
    ins('INSERT INTO user_permission_overrides VALUES (2, 3, 0, 1, 1, NULL, NULL, 0, 0, 1)');
    ins('INSERT INTO user_ban_futures VALUES (1, 4, ?, 0)', now + 86400);
    ins('INSERT INTO room_users VALUES (1, 3, ?)', now - 10);
    mkdirSync(join(dir, 'uploads', 'Lobby'), { recursive: true });
    writeFileSync(join(dir, 'uploads', 'Lobby', '5_notes.txt'), fileBytes);
    writeFileSync(join(dir, 'uploads', 'Lobby', '6_logo.png'), imageBytes);
    ins('INSERT INTO files VALUES (5, 1, 3, 12, ?, ?, ?, ?, ?)', fileBytes.length, now - 680, now + 86400, 'notes.txt', 'uploads/Lobby/5_notes.txt');
    ins('INSERT INTO files VALUES (6, 1, 0, NULL, ?, ?, NULL, ?, ?)', imageBytes.length, now - 800, 'logo.png', 'uploads/Lobby/6_logo.png');
    ins('INSERT INTO files VALUES (7, 1, 3, NULL, 10, ?, ?, ?, ?)', now - 9000, now - 100, 'old.bin', 'uploads/Lobby/7_old.bin');
    db.close();
    // pysogs' key file: the same key this server runs with (a migration keeps the server's identity).
    writeFileSync(join(dir, 'key_x25519'), readFileSync(ctx.config.KEY_FILE));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test('imports everything and prints progress', async () => {
    const out = await cliOk(env, 'import', 'pysogs', '--db', dbPath);
    expect(out).toContain('key: KEY_FILE already holds the pysogs key');
    expect(out).toContain('messages: 4/4');
    expect(out).toMatch(
      /Imported 2 new of 2 room\(s\), 4 new of 4 user\(s\), 4 new of 4 message\(s\), 1 new reaction\(s\), 1 new pin\(s\), \d+ new permission row\(s\), 2 new file\(s\) \(0 missing, 1 expired skipped\)/,
    );
    expect(out).not.toContain('Nothing new');
    expect(await ctx.prisma.needsBlinding.count()).toBe(1);
  });

  test('polling returns the same messages with the same ids and seqnos (since/0 and since/3)', async () => {
    const alice = client(seeds.alice);
    const room = (await alice.get('/room/lobby')).json<Record<string, unknown>>();
    expect(room).toMatchObject({ token: 'Lobby', name: 'The Lobby', description: 'imported', message_sequence: 6, image_id: 6 });
    expect(room.pinned_messages).toEqual([expect.objectContaining({ id: 12, pinned_by: client(seeds.mod).sessionId })]);
    expect(room.moderators).toEqual([client(seeds.mod).sessionId]);

    const all = (await alice.get('/room/lobby/messages/since/0?t=r&reactors=5')).json<Msg[]>();
    expect(all.map((m) => [m.id, m.seqno])).toEqual([
      [10, 4],
      [12, 6],
    ]);
    expect(Buffer.from(all[0].data!, 'base64').equals(m1edit.posted)).toBe(true);
    expect(all[0].edited).toBeCloseTo(now - 600, 3);
    expect(all[0].session_id).toBe(alice.sessionId);
    expect(Buffer.from(all[1].data!, 'base64').equals(m3.posted)).toBe(true);
    expect(all[1].reactions).toEqual({ '👍': expect.objectContaining({ count: 1, reactors: [alice.sessionId] }) });

    // A client that had polled up to seqno 3 gets the edit, the tombstone and a reaction-only row.
    const later = (await alice.get('/room/lobby/messages/since/3?t=r')).json<Msg[]>();
    expect(later.map((m) => [m.id, m.seqno])).toEqual([
      [10, 4],
      [11, 5],
      [12, 6],
    ]);
    expect(later[1]).toMatchObject({ deleted: true, data: null });
    expect(later[2].data).toBeUndefined();
    expect((await alice.get('/room/lobby/messages/since/6')).json<Msg[]>()).toEqual([]);
  });

  test('permissions, bans, the private room and files come across', async () => {
    const [alice, bob] = [client(seeds.alice), client(seeds.bob)];
    expect((await bob.get('/room/lobby/messages/recent')).code).toBe(403);
    expect((await ctx.anon().get('/room/staff')).code).toBe(404);
    const staff = (await alice.get('/room/staff/messages/recent')).json<Msg[]>();
    expect(staff.map((m) => m.id)).toEqual([20]);
    const file = await alice.get('/room/lobby/file/5');
    expect(file.code).toBe(200);
    expect(file.body.equals(fileBytes)).toBe(true);
    expect((await alice.get('/room/lobby/file/6')).body.equals(imageBytes)).toBe(true);
    expect((await alice.get('/room/lobby/file/7')).code).toBe(404);
    expect(await ctx.prisma.userBanFuture.count()).toBe(1);
  });

  test("carol's first blinded request consumes her needs_blinding row", async () => {
    expectStatus(await client(seeds.carol).get('/room/lobby'), 200);
    expect(await ctx.prisma.needsBlinding.count()).toBe(0);
  });

  test('running it again imports nothing twice, says so, and does not queue a consumed 05→15 move again', async () => {
    const counts = async () => [
      await ctx.prisma.message.count(),
      await ctx.prisma.file.count(),
      await ctx.prisma.userReaction.count(),
      await ctx.prisma.userBanFuture.count(),
      await ctx.prisma.messageHistory.count(),
      await ctx.prisma.user.count(),
    ];
    const before = await counts();
    const out = await cliOk(env, 'import', 'pysogs', '--db', dbPath, '--uploads', join(dir, 'uploads'));
    expect(out).toMatch(
      /Imported 0 new of 2 room\(s\), 0 new of 4 user\(s\), 0 new of 4 message\(s\), 0 new reaction\(s\), 0 new pin\(s\), 0 new permission row\(s\), 0 new file\(s\)/,
    );
    expect(out).toContain('Nothing new: everything in this database was already imported.');
    expect(await counts()).toEqual(before);
    expect(await ctx.prisma.needsBlinding.count()).toBe(0);
  });

  test('new posts continue after the imported ids and seqnos', async () => {
    const alice = client(seeds.alice);
    const res = await alice.post('/room/lobby/message', messageBody());
    expectStatus(res, 201);
    const posted = res.json<Msg>();
    expect(posted.id).toBeGreaterThan(20);
    expect(posted.seqno).toBe(7);
  });

  test("the README's import commands (local and Compose) use only options the command has", async () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const lines = readme.split('\n').filter((l) => /\b(cli|community-server)( --)? import pysogs /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const help = await cliOk(env, 'import', 'pysogs', '--help');
    for (const line of lines)
      for (const [flag] of line.replace(/#.*/, '').matchAll(/--[a-z-]+/g))
        if (flag !== '--rm') expect({ line, flag, known: help.includes(flag) }).toEqual({ line, flag, known: true });
  });

  test('a different server key is refused; a missing database is an error', async () => {
    const other = join(dir, 'other_key');
    writeFileSync(other, randomBytes(32));
    const res = await cli(env, 'import', 'pysogs', '--db', dbPath, '--key', other);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('already holds a different key');
    expect((await cli(env, 'import', 'pysogs', '--db', join(dir, 'nope.db'))).code).toBe(1);
    expect((await cli(env, 'import', 'pysogs')).code).toBe(2);
  });
});
