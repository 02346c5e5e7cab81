import type { SogsClient } from '../../../src/client';
import type { TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';

/** The file tests' community: rooms `test-room` and `room2`, plain `user` and `user2`, and `admin` of test-room. */
export interface FileCommunity {
  user: SogsClient;
  user2: SogsClient;
  admin: SogsClient;
}

export async function fileCommunity(ctx: TestContext): Promise<FileCommunity> {
  const room = await createRoom(ctx, 'test-room');
  await createRoom(ctx, 'room2');
  const [user, user2, admin] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
  const adminRow = await ctx.prisma.user.create({ data: { sessionId: admin.sessionId! } });
  await ctx.prisma.userPermissionOverride.create({ data: { roomId: room.id, userId: adminRow.id, moderator: true, admin: true } });
  return { user, user2, admin };
}
