import { Module } from '@nestjs/common';
import { InboxModule } from '../inbox/inbox.module';
import { RoomsModule } from '../rooms/rooms.module';
import { UsersModule } from '../users/users.module';
import { BotsService } from './bots.service';

/** Bot identities (issue 16): keys under BOTS_DIR, posts and DMs through the rooms and inbox services. */
@Module({
  imports: [UsersModule, RoomsModule, InboxModule],
  providers: [BotsService],
  exports: [BotsService],
})
export class BotsModule {}
