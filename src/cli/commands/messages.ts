import type { Command } from 'commander';
import { MessagesService } from '../../rooms/messages.service';
import { RoomsService } from '../../rooms/rooms.service';
import { UsersService } from '../../users/users.service';
import type { CliContext } from '../context';
import { parseSessionId } from '../parse';
import { roomOrFail } from './rooms';

/** `messages purge USER [ROOM]`: protocol §6.3 delete-all, in one room or in every room. */
export function registerMessageCommands(program: Command, ctx: CliContext): void {
  const messages = program.command('messages').description('Message moderation');
  messages
    .command('purge')
    .description("Delete all of a user's messages in one room, or in every room (their attachments expire)")
    .argument('<session_id>', '05… or 15… Session id')
    .argument('[room]', 'room token; every room when omitted')
    .action(async (sid: string, token: string | undefined) => {
      const sessionId = parseSessionId(sid);
      const system = await (await ctx.get(UsersService)).getSystemUser();
      const service = await ctx.get(MessagesService);
      if (token) {
        const room = await roomOrFail(ctx, token);
        const permissions = await (await ctx.get(RoomsService)).permissionsFor(room, system);
        const deleted = await service.deleteAllInRoom(room, permissions, system, sessionId);
        ctx.out(`Deleted ${deleted} message(s) of ${sessionId} in ${room.token}`);
        return;
      }
      const { total, rooms } = await service.deleteAllEverywhere(system, sessionId);
      const detail = Object.entries(rooms)
        .map(([t, n]) => `${t}: ${n}`)
        .join(', ');
      ctx.out(`Deleted ${total} message(s) of ${sessionId}${detail ? ` (${detail})` : ''}`);
    });
}
