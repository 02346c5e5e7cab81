import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import { ChangeFeed } from '../cache/change-feed';
import { PrismaService } from '../database/prisma.service';
import { RedisService } from '../redis/redis.service';
import { Clock, SystemClock } from './clock';

/** Process-wide singletons every domain module may inject: config, server key, clock, Postgres, Redis, change feed. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, serverKey: ServerKey, clock: Clock = new SystemClock()): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SERVER_KEY, useValue: serverKey },
        { provide: Clock, useValue: clock },
        PrismaService,
        RedisService,
        ChangeFeed,
      ],
      exports: [APP_CONFIG, SERVER_KEY, Clock, PrismaService, RedisService, ChangeFeed],
    };
  }
}
