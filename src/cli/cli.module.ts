import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import type { ServerKey } from '../config/server-key';
import { ConsoleAuthModule } from '../console/console.module';
import { CoreModule } from '../core/core.module';
import { FilesModule } from '../files/files.module';
import { InboxModule } from '../inbox/inbox.module';
import { BotsModule } from '../bots/bots.module';
import { JobsModule } from '../jobs/jobs.module';
import { MetricsModule } from '../metrics/metrics.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ModerationModule } from '../moderation/moderation.module';
import { UsersModule } from '../users/users.module';

/**
 * The domain services without HTTP: the CLI commands and the pysogs import act through the same
 * RoomsService, ModerationService, UsersService, InboxService and FilesService as the API, so every
 * rule (and every cache invalidation) is the API's. The CLI has no repository of its own.
 */
@Module({})
export class CliModule {
  static register(config: AppConfig, serverKey: ServerKey): DynamicModule {
    return {
      module: CliModule,
      imports: [
        CoreModule.forRoot(config, serverKey),
        MetricsModule,
        UsersModule,
        ModerationModule,
        RoomsModule,
        FilesModule,
        InboxModule,
        BotsModule,
        JobsModule,
        ConsoleAuthModule,
      ],
    };
  }
}
