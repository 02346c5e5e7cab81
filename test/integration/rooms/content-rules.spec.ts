// Issue 15 item 5: a room's content rules, read from every form a client sends (protocol §7.6),
// set with `rooms policy` over the server's CONTENT_* defaults.
import { randomBytes } from 'node:crypto';
import type { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, grantRoom } from '../../support/rooms-fixtures';
import { communityPost, MESSAGE_FORMS } from '../../support/session-messages';
import { cli, cliOk, envFor } from '../cli/cli-helpers';

describe('room content rules over every message form (issue 15 item 5)', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  let user: SogsClient;
  let mod: SogsClient;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, CONTENT_WORDS: 'serverword', CONTENT_WORDS_ACTION: 'refuse' } });
    env = envFor(ctx.config);
    await createRoom(ctx, 'lobby');
    await createRoom(ctx, 'other');
    [user, mod] = [ctx.newUser(), ctx.newUser()];
    await grantRoom(ctx, 'lobby', mod);
    const set = JSON.parse(
      await cliOk(
        env,
        'rooms',
        'policy',
        'lobby',
        '--words',
        'spam,free coins',
        '--words-action',
        'refuse',
        '--max-chars',
        '200',
        '--mentions',
        '1',
        '--mentions-action',
        'silent',
        '--pattern',
        't\\.me/\\w+',
        '--json',
      ),
    ) as { own: Record<string, unknown>; effective: Record<string, unknown> };
    expect(Object.keys(set.own).sort()).toEqual(['maxChars', 'mentions', 'patterns', 'words']);
    expect(set.effective.unreadable).toBe('allow');
    await ctx.prisma.$executeRaw`SELECT 1`;
  });
  afterAll(() => ctx?.close());
  // The CLI's change reaches the server's room cache by notification: a write through ctx.prisma waits for the feed to catch up.
  const synced = () => ctx.prisma.$executeRaw`SELECT 1`;

  const post = (client: SogsClient, token: string, body: { data: string; signature: string }) => client.post(`/room/${token}/message`, body);
  const mention = () => `@05${randomBytes(32).toString('hex')}`;

  describe.each(MESSAGE_FORMS)('a post as %s', (form) => {
    it('refused with the rule as the 403 reason: room words (folded), too long, a pattern', async () => {
      for (const [body, reason] of [
        ['get ｆｒｅｅ ｃｏｉｎｓ here', 'word'],
        ['buy ѕраm', 'word'],
        ['x'.repeat(201), 'at most 200 characters'],
        ['join t.me/raidroom', 'pattern'],
      ]) {
        const res = await post(user, 'lobby', communityPost(form, body));
        expect([res.code, res.text()]).toEqual([403, expect.stringContaining(reason)]);
      }
    });

    it('silent rules store it filtered, and what breaks no rule posts as usual', async () => {
      const flood = await post(user, 'lobby', communityPost(form, `${mention()} ${mention()}`));
      expect(flood.code).toBe(201);
      expect(flood.json<{ filtered?: boolean }>().filtered).toBe(true);
      const fine = await post(user, 'lobby', communityPost(form, `hello ${mention()}`));
      expect(fine.code).toBe(201);
      expect(fine.json<{ filtered?: boolean }>().filtered).toBeUndefined();
      // The room's words are its own; the server's default list still holds where a room sets none.
      expect((await post(user, 'other', communityPost(form, 'spam is fine here'))).code).toBe(201);
      expect((await post(user, 'other', communityPost(form, 'a serverword'))).code).toBe(403);
    });

    it('a moderator is not subject to the rules', async () => {
      expect((await post(mod, 'lobby', communityPost(form, 'spam, from a moderator'))).code).toBe(201);
    });
  });

  it('a message that cannot be read is allowed by default, refused when the room says so', async () => {
    // A new signature each time: a repeat of a recent post would be answered with the original (protocol §6.3).
    const unreadable = () => ({ data: Buffer.alloc(11, 0xff).toString('base64'), signature: randomBytes(64).toString('base64') });
    expect((await post(user, 'lobby', unreadable())).code).toBe(201);
    await cliOk(env, 'rooms', 'policy', 'lobby', '--unreadable', 'refuse');
    await synced();
    const refused = await post(user, 'lobby', unreadable());
    expect([refused.code, refused.text()]).toEqual([403, expect.stringContaining('can read')]);
    const metrics = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/scs_policy_rule_hits_total\{rule="unreadable",action="allow"\} [1-9]/);
    expect(metrics).toMatch(/scs_policy_rule_hits_total\{rule="words",action="refuse"\} [1-9]/);
  });

  it('refuses a catastrophic or invalid pattern when it is set, and --reset goes back to the default', async () => {
    const bad = await cli(env, 'rooms', 'policy', 'lobby', '--pattern', '(a+)+$');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('nests repetition');
    expect((await cli(env, 'rooms', 'policy', 'lobby', '--pattern', '(')).stderr).toContain('not a valid regular expression');
    const reset = JSON.parse(await cliOk(env, 'rooms', 'policy', 'lobby', '--reset', 'words', '--json')) as {
      own: Record<string, unknown>;
      effective: { words: { list: string[] } };
    };
    expect(reset.own.words).toBeUndefined();
    expect(reset.effective.words.list).toEqual(['serverword']);
  });
});
