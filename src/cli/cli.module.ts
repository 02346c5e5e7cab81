import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import type { ServerKey } from '../config/server-key';
import { CoreModule } from '../core/core.module';
import { FilesModule } from '../files/files.module';
import { InboxModule } from '../inbox/inbox.module';
import { JobsModule } from '../jobs/jobs.module';
import { MetricsModule } from '../metrics/metrics.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ModerationModule } from '../moderation/moderation.module';
import { UsersModule } from '../users/users.module';
import { ImportRepository } from './import/import.repository';

/**
 * The domain services without HTTP: the CLI acts through the same RoomsService, ModerationService
 * and FilesService as the API, so every rule (and every cache invalidation) is the API's.
 */
@Module({})
export class CliModule {
  static register(config: AppConfig, serverKey: ServerKey): DynamicModule {
    return {
      module: CliModule,
      imports: [CoreModule.forRoot(config, serverKey), MetricsModule, UsersModule, ModerationModule, RoomsModule, FilesModule, InboxModule, JobsModule],
      providers: [ImportRepository],
    };
  }
}
