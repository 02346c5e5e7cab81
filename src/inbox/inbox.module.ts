import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { InboxController } from './inbox.controller';
import { InboxRepository } from './inbox.repository';
import { InboxService } from './inbox.service';

/** Blinded direct messages (spec §6.9). InboxService.expireMessages is the periodic job's entry. */
@Module({
  imports: [UsersModule],
  controllers: [InboxController],
  providers: [InboxRepository, InboxService],
  exports: [InboxService],
})
export class InboxModule {}
