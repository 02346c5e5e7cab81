import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Client } from 'pg';
import { defaultMigrationsDir, migrate } from '../../src/database/migrate';
import { databaseUrl, dropDatabases, scratchName } from '../support/db';

// Issue 19 item 7: a database holding both blinded twins of one person as two users migrates to one
// user keeping every ban and right of both; the younger twin's messages keep the id they were signed as.
describe('migration 20261202061000_one_user_per_blinded_key', () => {
  const name = scratchName('twins');
  const url = databaseUrl(name);
  const dir = mkdtempSync(join(tmpdir(), 'scs-twins-'));
  const MIGRATION = '20261202061000_one_user_per_blinded_key';
  afterAll(async () => {
    await dropDatabases([name]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges twin rows', async () => {
    // The migrations before this one, then data as it could be, then the rest.
    const before = (src: string) => {
      const top = relative(defaultMigrationsDir(), src).split(sep)[0];
      return !/^\d{14}_/.test(top) || top < MIGRATION;
    };
    cpSync(defaultMigrationsDir(), dir, { recursive: true, filter: before });
    await migrate(url, { migrationsDir: dir });
    const kA = '15' + 'ab'.repeat(31) + '12';
    const negA = '15' + 'ab'.repeat(31) + '92';
    const other = '15' + 'cd'.repeat(32);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`INSERT INTO rooms (token, name) VALUES ('r', 'r')`);
      const ids = (
        await client.query<{ id: number }>(`INSERT INTO users (session_id, moderator) VALUES ($1, TRUE), ($2, FALSE), ($3, FALSE) RETURNING id`, [kA, negA, other])
      ).rows.map((r) => r.id);
      await client.query(`UPDATE users SET banned = TRUE WHERE id = $1`, [ids[1]]);
      await client.query(`INSERT INTO user_permission_overrides (room, "user", write, read) VALUES (1, $1, TRUE, TRUE), (1, $2, FALSE, NULL)`, [ids[0], ids[1]]);
      await client.query(
        `INSERT INTO messages (room, "user", seqno, seqno_data, seqno_creation, data, signature) VALUES (1, $1, 1, 1, 1, '\\x01', '\\x02'), (1, $2, 2, 2, 2, '\\x03', '\\x04')`,
        [ids[0], ids[1]],
      );
      await migrate(url);

      const users = (await client.query(`SELECT id, session_id, canonical_id, banned, moderator FROM users WHERE id > 0 ORDER BY id`)).rows;
      expect(users).toEqual([
        { id: ids[0], session_id: kA, canonical_id: kA, banned: true, moderator: true },
        { id: ids[2], session_id: other, canonical_id: '15' + 'cd'.repeat(31) + '4d', banned: false, moderator: false },
      ]);
      expect((await client.query(`SELECT write, read FROM user_permission_overrides WHERE "user" = $1`, [ids[0]])).rows).toEqual([{ write: false, read: true }]);
      expect((await client.query(`SELECT "user", signed_as FROM messages ORDER BY id`)).rows).toEqual([
        { user: ids[0], signed_as: null },
        { user: ids[0], signed_as: negA },
      ]);
      // One row per person from now on: the twin cannot be inserted as a second user.
      await expect(client.query(`INSERT INTO users (session_id) VALUES ($1)`, [negA])).rejects.toThrow(/users_canonical_id_key/);
    } finally {
      await client.end();
    }
  });
});
