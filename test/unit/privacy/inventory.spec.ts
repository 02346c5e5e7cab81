import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REDIS_KEY_PATTERNS } from '../../../src/redis/redis-keys';

// Issue 20 item 1: docs/privacy.md lists every table column and every Redis key pattern, so it
// cannot go stale. The schema is prisma/schema.prisma (schema-drift.spec.ts ties it to the
// migrations); the key patterns are src/redis/redis-keys.ts (every key is built from them).
const root = join(__dirname, '../../..');
const doc = readFileSync(join(root, 'docs/privacy.md'), 'utf8');

/** `table.column` for every column of every model: a field's @map name (else its own), relation fields skipped. */
export function schemaColumns(schema: string): string[] {
  const models = [...schema.matchAll(/^model (\w+) \{\n([\s\S]*?)^\}/gm)];
  const names = new Set(models.map((m) => m[1]));
  return models.flatMap(([, model, body]) => {
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? model;
    return body
      .split('\n')
      .map((line) => /^\s*(\w+)\s+(\w+)(\[\])?\??(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && !names.has(m[2]))
      .map(([, field, , , rest]) => `${table}.${/@map\("([^"]+)"\)/.exec(rest)?.[1] ?? field}`);
  });
}

/** The text of the `## title` section of the document (up to the next `## `). */
function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/privacy.md has no "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** The first cells of a section's table rows, without backticks. */
function firstCells(text: string): string[] {
  return [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
}

describe('docs/privacy.md inventory', () => {
  const columns = schemaColumns(readFileSync(join(root, 'prisma/schema.prisma'), 'utf8'));

  it('reads the schema: every model has columns, and relation fields are not columns', () => {
    expect(columns).toContain('users.session_id');
    expect(columns).toContain('inbox.sender');
    expect(columns).toContain('room_users.last_active');
    expect(columns).not.toContain('users.messages');
    expect(columns.length).toBeGreaterThan(90);
  });

  it('lists every column of the schema, and no column that is not in it', () => {
    const listed = firstCells(section('Database (PostgreSQL)'));
    expect(columns.filter((c) => !listed.includes(c))).toEqual([]);
    expect(listed.filter((c) => !columns.includes(c))).toEqual([]);
    expect(listed.length).toBe(new Set(listed).size);
  });

  it('lists every Redis key pattern of src/redis/redis-keys.ts, and no other', () => {
    const patterns: string[] = Object.entries(REDIS_KEY_PATTERNS).map(([kind, pattern]) => {
      // The pattern begins with its kind: what redisKey() writes first.
      expect(pattern.startsWith(`${kind}:`)).toBe(true);
      return pattern;
    });
    const listed = firstCells(section('Redis'));
    expect(patterns.filter((p) => !listed.includes(p))).toEqual([]);
    expect(listed.filter((p) => !patterns.includes(p))).toEqual([]);
  });

  it('no code spells a Redis key by hand: REDIS_PREFIX is read only where redisKey() is used', () => {
    const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('generated'));
    const uses = sources.flatMap((f) => (readFileSync(join(root, 'src', f), 'utf8').match(/.*\.REDIS_PREFIX\b.*/g) ?? []).map((line) => `${f}: ${line.trim()}`));
    // RedisService prefixes every key with it; JobsService gives BullMQ its kind's prefix.
    expect(uses).toEqual(["jobs/jobs.service.ts: this.prefix = redisKey(config.REDIS_PREFIX, 'bull');", 'redis/redis.service.ts: this.prefix = config.REDIS_PREFIX;']);
  });
});
