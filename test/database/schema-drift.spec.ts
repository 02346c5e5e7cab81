import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate } from '../../src/database/migrate';
import { actualSchema, checkSchemaDrift, defaultSchemaPath, diffSchemas, expectedSchema } from '../support/schema-drift';
import { databaseUrl, dropDatabases, scratchName } from '../support/db';

// Issue 2: the migrations must produce exactly what schema.prisma describes, and a schema change
// without its migration must be caught.
describe('schema drift between prisma/schema.prisma and prisma/migrations', () => {
  const name = scratchName('drift');
  const url = databaseUrl(name);
  const schema = readFileSync(defaultSchemaPath(), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'scs-drift-'));

  beforeAll(async () => {
    await migrate(url);
  });
  afterAll(async () => {
    await dropDatabases([name]);
    rmSync(dir, { recursive: true, force: true });
  });

  function driftWith(edit: (text: string) => string): Promise<string[]> {
    const changed = edit(schema);
    expect(changed).not.toBe(schema);
    const path = join(dir, `schema-${Math.random().toString(36).slice(2)}.prisma`);
    writeFileSync(path, changed);
    return checkSchemaDrift(url, path);
  }

  it('the migrations build exactly the tables, columns, types, defaults, keys, indexes and foreign keys of schema.prisma', async () => {
    expect(await checkSchemaDrift(url)).toEqual([]);
  });

  it('reports a field added to schema.prisma without a migration', async () => {
    const drift = await driftWith((s) => s.replace(/(model User \{\n)/, '$1  nickname String?\n'));
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatch(/column users\.nickname: in schema\.prisma \(text\), missing from the database$/);
  });

  it('reports a changed type, nullability and default', async () => {
    const drift = await driftWith((s) => s.replace(/(model File \{[^}]*?\n {2}size +)Int\n/, '$1BigInt? @default(7)\n'));
    expect(drift.join('\n')).toMatch(/column files\.size: type bigint in schema\.prisma, integer in the database/);
    expect(drift.join('\n')).toMatch(/column files\.size: nullable in schema\.prisma, NOT NULL in the database/);
    expect(drift.join('\n')).toMatch(/column files\.size: default 7 in schema\.prisma, \(none\) in the database/);
  });

  it('reports changed indexes, unique constraints and referential actions', async () => {
    const drift = await driftWith((s) =>
      s
        .replace('@@index([roomId, seqno])', '@@index([roomId, seqno(sort: Desc)])')
        .replace('@@index([replaced])\n', '')
        .replace(/(sessionId +String +)@unique/, '$1')
        .replace(/(uploader +User\? +@relation\(fields: \[uploaderId\], references: \[id\], onDelete: )SetNull/, '$1Cascade'),
    );
    const text = drift.join('\n');
    expect(text).toMatch(/index messages_room_seqno_idx: schema\.prisma wants INDEX ON messages\(room, seqno DESC\), the database has INDEX ON messages\(room, seqno\)/);
    expect(text).toMatch(/index message_history_replaced_idx: the database has INDEX ON message_history\(replaced\), not in schema\.prisma/);
    expect(text).toMatch(/index users_session_id_key: the database has UNIQUE ON users\(session_id\), not in schema\.prisma/);
    expect(text).toMatch(/foreign key files_uploader_fkey: schema\.prisma wants .*ON DELETE CASCADE.*the database has .*ON DELETE SET NULL/);
    expect(drift).toHaveLength(4);
  });

  it('reports a renamed table or column (@@map / @map) as missing and unexpected', async () => {
    const drift = await driftWith((s) => s.replace('@@map("inbox")', '@@map("inbox_messages")').replace('@map("seqno_data")', '@map("seqno_content")'));
    const text = drift.join('\n');
    expect(text).toMatch(/table inbox_messages: in schema\.prisma, missing from the database/);
    expect(text).toMatch(/table inbox: in the database, not in schema\.prisma/);
    expect(text).toMatch(/column messages\.seqno_content: in schema\.prisma \(integer\), missing from the database/);
    expect(text).toMatch(/column messages\.seqno_data: in the database, not in schema\.prisma/);
  });

  it('reports a database changed behind the migrations', async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('ALTER TABLE "rooms" ALTER COLUMN "token" TYPE text');
      await client.query('DROP INDEX "inbox_expiry_idx"');
      await client.query('ALTER TABLE "messages" DROP CONSTRAINT "messages_whisper_fkey"');
      await client.query('CREATE INDEX "extra_idx" ON "users"("created")');
      const drift = diffSchemas(expectedSchema(schema), await actualSchema(client));
      await client.query('ROLLBACK');
      expect(drift).toEqual([
        'column rooms.token: type citext in schema.prisma, text in the database',
        'index inbox_expiry_idx: schema.prisma wants INDEX ON inbox(expiry), missing from the database',
        'index extra_idx: the database has INDEX ON users(created), not in schema.prisma',
        'foreign key messages_whisper_fkey: schema.prisma wants messages(whisper) REFERENCES users(id) ON DELETE CASCADE ON UPDATE CASCADE, missing from the database',
      ]);
    } finally {
      await client.end();
    }
  });
});
