// Issue 15 item 5: the content rules about the author — links from untrusted users, attachments
// from new users — over every message form (protocol §7.6), with standing from issue 14.
import type { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';
import { communityPost, MESSAGE_FORMS } from '../../support/session-messages';
import { cliOk, envFor } from '../cli/cli-helpers';

describe('links from untrusted users, attachments from new users (issue 15 item 5)', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { RATE_LIMIT_POSTS: 0, NEW_USER_POSTS: 2, NEW_USER_AGE: 0 } });
    env = envFor(ctx.config);
    await createRoom(ctx, 'gated');
    await cliOk(env, 'rooms', 'policy', 'gated', '--links', 'hold', '--new-user-attachments', 'refuse');
    await ctx.prisma.$executeRaw`SELECT 1`;
  });
  afterAll(() => ctx?.close());

  const post = (client: SogsClient, body: { data: string; signature: string }) => client.post('/room/gated/message', body);
  const hiddenOf = async (id: number) => (await ctx.prisma.message.findUniqueOrThrow({ where: { id } })).hidden;

  describe.each(MESSAGE_FORMS)('a post as %s', (form) => {
    it('a newcomer: a link is held for review, an attachment refused (403 with the reason), plain text posts', async () => {
      const newcomer = ctx.newUser();
      const link = await post(newcomer, communityPost(form, 'free coins at https://scam.example'));
      expect(link.code).toBe(201);
      expect(await hiddenOf(link.json<{ id: number }>().id)).toBe('held');
      const preview = await post(newcomer, communityPost(form, 'look', undefined, { preview: 'https://scam.example' }));
      expect(await hiddenOf(preview.json<{ id: number }>().id)).toBe('held');
      const attachment = await post(newcomer, communityPost(form, 'a picture', undefined, { attachments: 1 }));
      expect([attachment.code, attachment.text()]).toEqual([403, expect.stringContaining('Attachments are not allowed from new members')]);
      const plain = await post(newcomer, communityPost(form, 'hello all'));
      expect(await hiddenOf(plain.json<{ id: number }>().id)).toBeNull();
    });

    it('no longer new (two accepted posts): attachments pass, links are still held until trusted', async () => {
      const member = ctx.newUser();
      for (const text of ['one', 'two']) expect((await post(member, communityPost(form, text))).code).toBe(201);
      expect((await post(member, communityPost(form, 'a picture', undefined, { attachments: 1 }))).code).toBe(201);
      const link = await post(member, communityPost(form, 'see www.example.org'));
      expect(await hiddenOf(link.json<{ id: number }>().id)).toBe('held');
      await cliOk(env, 'trust', 'add', member.sessionId!, '--room', 'gated');
      await ctx.prisma.$executeRaw`SELECT 1`;
      const trusted = await post(member, communityPost(form, 'see www.example.org again'));
      expect(await hiddenOf(trusted.json<{ id: number }>().id)).toBeNull();
    });
  });

  it('each hit is in the audit log with the rule as the actor, and counted', async () => {
    const hits = await ctx.prisma.auditLog.findMany({ where: { action: 'rule.hit' } });
    expect(new Set(hits.map((h) => h.actor))).toEqual(new Set(['rule:links', 'rule:new_user_attachments']));
    const metrics = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/scs_policy_rule_hits_total\{rule="links",action="hold"\} [1-9]/);
    expect(metrics).toMatch(/scs_policy_rule_hits_total\{rule="new_user_attachments",action="refuse"\} [1-9]/);
  });
});
