import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { ChangeFeed } from '../cache/change-feed';
import { PrismaService } from '../database/prisma.service';
import { RedisService } from '../redis/redis.service';

/** Process-wide singletons every domain module may inject: config, server key, Postgres, Redis, change feed. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, serverKey: ServerKey): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SERVER_KEY, useValue: serverKey },
        PrismaService,
        RedisService,
        ChangeFeed,
      ],
      exports: [APP_CONFIG, SERVER_KEY, PrismaService, RedisService, ChangeFeed],
    };
  }
}
