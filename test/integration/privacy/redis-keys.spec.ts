import { Redis } from 'ioredis';
import { REDIS_KEY_PATTERNS } from '../../../src/redis/redis-keys';
import { createTestContext, type TestContext } from '../../support/context';
import { privacyTraffic, type Traffic } from '../../support/privacy-traffic';

// Issue 20 item 3: after traffic on every path that limits or remembers a user, no key in Redis
// names one: no session or blinded id (as hex or as raw key bytes), no nonce, no user row.
const ID = /(05|15|25)[0-9a-f]{64}/i;
const PSEUDONYM = '[0-9a-f]{32}';
// What follows REDIS_PREFIX, per kind: identifying parts are 128-bit pseudonyms.
const SHAPES: Record<keyof typeof REDIS_KEY_PATTERNS, RegExp> = {
  nonce: new RegExp(`^nonce:${PSEUDONYM}$`),
  reply: new RegExp(`^reply:${PSEUDONYM}$`),
  readretry: new RegExp(`^readretry:${PSEUDONYM}$`),
  rl: new RegExp(`^rl:[a-z-]+:${PSEUDONYM}(:\\d+)?$`),
  auditonce: new RegExp(`^auditonce:${PSEUDONYM}$`),
  pstate: new RegExp(`^pstate:[a-z0-9][a-z0-9_-]{0,31}:${PSEUDONYM}$`),
  bull: /^bull:[a-z]+:/,
};

let ctx: TestContext;
let redis: Redis;
let traffic: Traffic;

beforeAll(async () => {
  // Every limit on (generous), so every rule writes its counter.
  ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 100 } });
  redis = new Redis(ctx.config.REDIS_URL);
  traffic = await privacyTraffic(ctx);
});
afterAll(async () => {
  redis?.disconnect();
  await ctx?.close();
});

async function keys(): Promise<Buffer[]> {
  const found: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scanBuffer(cursor, 'MATCH', `${ctx.config.REDIS_PREFIX}*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next.toString();
  } while (cursor !== '0');
  return found;
}

it('no key holds an id, a raw key, a nonce or a user row; every key has its declared shape', async () => {
  const all = await keys();
  const names = all.map((k) => k.toString('latin1').slice(ctx.config.REDIS_PREFIX.length));
  const kinds = new Set(names.map((n) => n.split(':')[0]));
  process.stdout.write(`privacy: ${all.length} Redis keys after traffic, kinds ${[...kinds].sort().join(', ')}\n`);
  // The traffic reached every kind that identifies, so the checks below looked at real keys.
  for (const kind of ['nonce', 'reply', 'readretry', 'rl']) expect(kinds).toContain(kind);
  for (const rule of ['user', 'post', 'dm', 'reaction', 'upload-bytes', 'authfail']) expect(names.some((n) => n.startsWith(`rl:${rule}:`))).toBe(true);

  const rawKeys = traffic.ids.map((id) => Buffer.from(id.slice(2), 'hex'));
  const users = await ctx.prisma.user.findMany({ select: { id: true } });
  expect(names.filter((n) => ID.test(n))).toEqual([]);
  expect(all.filter((k) => rawKeys.some((raw) => k.includes(raw)))).toEqual([]);
  expect(names.filter((n) => traffic.secrets.some((s) => n.includes(s)))).toEqual([]);
  expect(names.filter((n) => n.startsWith('rl:') && users.some((u) => n.endsWith(`:${u.id}`)))).toEqual([]);
  expect(names.filter((n) => !Object.entries(SHAPES).some(([kind, shape]) => n.startsWith(`${kind}:`) && shape.test(n)))).toEqual([]);
});

it('no string or hash value names a user either (job payloads carry file ids only; kept replies aside)', async () => {
  const leaks: string[] = [];
  // A kept reply is the reply of a write (a posted message names its poster), for RETRY_REPLY_WINDOW.
  for (const key of (await keys()).filter((k) => !k.toString().startsWith(`${ctx.config.REDIS_PREFIX}reply:`))) {
    const type = await redis.type(key);
    const values = type === 'string' ? [await redis.getBuffer(key)] : type === 'hash' ? Object.values(await redis.hgetallBuffer(key)) : [];
    for (const v of values) if (v && (ID.test(v.toString('latin1')) || traffic.ids.some((id) => v.includes(Buffer.from(id.slice(2), 'hex'))))) leaks.push(key.toString());
  }
  expect(leaks).toEqual([]);
});
