// The visibility rule's two forms (src/rooms/visibility.ts) agree: every combination of hidden
// reason, whisper and viewer, asked of PostgreSQL through the SQL fragments and of the TypeScript
// predicates.
import { canSeeMessage, canSeeReaction, HIDDEN_REASONS, messageVisibleSql, reactionVisibleSql, sinceShape, sinceVisibleSql, type Viewer } from '../../../src/rooms/visibility';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';

describe('visibility rule: SQL and TypeScript twins agree', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx?.close());

  it('for messages (reads and since) and reactions', async () => {
    const room = await createRoom(ctx, 'twins');
    const [author, other, mod] = await Promise.all(['a', 'b', 'c'].map((c) => ctx.prisma.user.create({ data: { sessionId: '05' + c.repeat(64) } })));
    let seqno = 0;
    const rows: Array<{ id: number; userId: number; hidden: string | null; whisperToId: number | null; whisperMods: boolean; seqnoCreation: number }> = [];
    for (const hidden of [null, ...HIDDEN_REASONS]) {
      for (const [whisperToId, whisperMods] of [
        [null, false],
        [other.id, false],
        [null, true],
      ] as const) {
        seqno++;
        const m = await ctx.prisma.message.create({
          data: { roomId: room.id, userId: author.id, seqno, seqnoData: seqno, seqnoCreation: seqno, data: Buffer.from('x'), hidden, whisperToId, whisperMods },
        });
        rows.push({ id: m.id, userId: author.id, hidden, whisperToId, whisperMods, seqnoCreation: seqno });
      }
    }
    const viewers: Viewer[] = [
      { userId: null, moderator: false },
      { userId: author.id, moderator: false },
      { userId: other.id, moderator: false },
      { userId: mod.id, moderator: true },
    ];
    for (const v of viewers) {
      const sql = await ctx.prisma.$queryRaw<Array<{ id: number }>>`SELECT m.id FROM messages m WHERE m.room = ${room.id} AND ${messageVisibleSql(v)} ORDER BY m.id`;
      expect(sql.map((r) => r.id)).toEqual(rows.filter((m) => canSeeMessage(m, v)).map((m) => m.id));
      for (const after of [0, 6, 12]) {
        const since = await ctx.prisma.$queryRaw<Array<{ id: number }>>`SELECT m.id FROM messages m WHERE m.room = ${room.id} AND ${sinceVisibleSql(v, after)} ORDER BY m.id`;
        expect(since.map((r) => r.id)).toEqual(rows.filter((m) => sinceShape(m, v, after) !== 'none').map((m) => m.id));
      }
    }
    const reaction = await ctx.prisma.reaction.create({ data: { messageId: rows[0].id, reaction: '👍' } });
    await ctx.prisma.userReaction.createMany({
      data: [
        { reactionId: reaction.id, userId: author.id, hidden: true },
        { reactionId: reaction.id, userId: other.id, hidden: false },
      ],
    });
    const stored = [
      { userId: author.id, hidden: true },
      { userId: other.id, hidden: false },
    ];
    for (const v of viewers) {
      const sql = await ctx.prisma.$queryRaw<
        Array<{ user: number }>
      >`SELECT ur."user" FROM user_reactions ur WHERE ur.reaction = ${reaction.id} AND ${reactionVisibleSql(v)} ORDER BY ur."user"`;
      expect(sql.map((r) => r.user)).toEqual(
        stored
          .filter((r) => canSeeReaction(r, v))
          .map((r) => r.userId)
          .sort((a, b) => a - b),
      );
    }
  });
});
