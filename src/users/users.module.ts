import { Module } from '@nestjs/common';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/**
 * User identity (protocol §2.1, §2.4): UsersService is what auth, rooms and the CLI use. It depends on
 * nothing but the core services, so any module may import it without cycles.
 */
@Module({
  providers: [UsersRepository, UsersService],
  exports: [UsersService],
})
export class UsersModule {}
