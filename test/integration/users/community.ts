import type { SogsClient } from '../../../src/client';
import { ModerationService } from '../../../src/moderation/moderation.service';
import { UsersService } from '../../../src/users/users.service';
import type { TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';

/**
 * The reference fixture set (protocol §14, pysogs conftest): rooms `test-room` and `room2`; `mod` and
 * `admin` of test-room (visible); hidden `globalMod` and `globalAdmin`; plain `user` and `user2`.
 * Grants go through ModerationService as the system user, which is what the CLI does.
 */
export interface Community {
  moderation: ModerationService;
  users: UsersService;
  user: SogsClient;
  user2: SogsClient;
  mod: SogsClient;
  admin: SogsClient;
  globalMod: SogsClient;
  globalAdmin: SogsClient;
}

export async function community(ctx: TestContext, opts: { blind?: boolean } = {}): Promise<Community> {
  await createRoom(ctx, 'test-room');
  await createRoom(ctx, 'room2');
  const moderation = ctx.server.app.get(ModerationService, { strict: false });
  const users = ctx.server.app.get(UsersService, { strict: false });
  const [user, user2, mod, admin, globalMod, globalAdmin] = Array.from({ length: 6 }, () => ctx.newUser({ blind: opts.blind }));
  await moderation.addModerator(mod.sessionId!, { rooms: ['test-room'] });
  await moderation.addModerator(admin.sessionId!, { rooms: ['test-room'] }, { admin: true });
  await moderation.addModerator(globalMod.sessionId!, { global: true });
  await moderation.addModerator(globalAdmin.sessionId!, { global: true }, { admin: true });
  return { moderation, users, user, user2, mod, admin, globalMod, globalAdmin };
}

export async function infoUpdates(ctx: TestContext): Promise<Record<string, number>> {
  const rooms = await ctx.prisma.room.findMany();
  return Object.fromEntries(rooms.map((r) => [r.token, r.infoUpdates]));
}

export async function userRow(ctx: TestContext, client: SogsClient) {
  return ctx.prisma.user.findUnique({ where: { sessionId: client.sessionId! } });
}

/** The (room, user) override row, or null. */
export async function overrideRow(ctx: TestContext, token: string, client: SogsClient) {
  const user = await userRow(ctx, client);
  const room = await ctx.prisma.room.findFirst({ where: { token } });
  if (!user || !room) return null;
  return ctx.prisma.userPermissionOverride.findUnique({ where: { roomId_userId: { roomId: room.id, userId: user.id } } });
}

export async function isRoomModerator(ctx: TestContext, token: string, client: SogsClient): Promise<{ moderator: boolean; admin: boolean }> {
  const o = await overrideRow(ctx, token, client);
  return { moderator: o?.moderator ?? false, admin: o?.admin ?? false };
}
