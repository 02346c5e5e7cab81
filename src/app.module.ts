import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { AppConfig } from './config/config';
import type { ServerKey } from './config/server-key';
import type { Clock } from './core/clock';
import { CoreModule } from './core/core.module';
import { PlainTextExceptionFilter } from './core/http-exception.filter';
import { IdleHeapTrimService } from './core/idle-heap-trim.service';
import { AuthModule } from './auth/auth.module';
import { OnionGatewayModule } from './onion-gateway/onion-gateway.module';
import { RoomsModule } from './rooms/rooms.module';
import { UsersModule } from './users/users.module';
import { ModerationModule } from './moderation/moderation.module';
import { InboxModule } from './inbox/inbox.module';
import { BotsModule } from './bots/bots.module';
import { PluginsModule } from './plugins/plugins.module';
import { FilesModule } from './files/files.module';
import { JobsModule } from './jobs/jobs.module';
import { WebModule } from './web/web.module';
import { MetricsModule } from './metrics/metrics.module';
import { ConsoleModule } from './console/console.module';

/** The public application: onion gateway, the inner SOGS/file-server routes and the web page. */
@Module({})
export class AppModule {
  static register(config: AppConfig, serverKey: ServerKey, clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, serverKey, clock),
        MetricsModule,
        AuthModule,
        OnionGatewayModule,
        RoomsModule,
        UsersModule,
        ModerationModule,
        InboxModule,
        BotsModule,
        PluginsModule,
        FilesModule,
        JobsModule,
        WebModule,
        // Providers only: the console's routes are installed on the admin listener (admin-server.ts).
        ConsoleModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: PlainTextExceptionFilter }, IdleHeapTrimService],
    };
  }
}
