import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { FilesModule } from '../files/files.module';
import { InboxModule } from '../inbox/inbox.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ModerationModule } from '../moderation/moderation.module';
import { FilesRoutes } from './files.routes';
import { GeneralRoutes } from './general.routes';
import { InboxRoutes } from './inbox.routes';
import { MessagesRoutes } from './messages.routes';
import { ModerationRoutes } from './moderation.routes';
import type { RouteSource } from './route';
import { RoomsRoutes } from './rooms.routes';
import { INNER_ROUTES, InnerRouter } from './router';

const SOURCES = [GeneralRoutes, RoomsRoutes, MessagesRoutes, ModerationRoutes, InboxRoutes, FilesRoutes];

/**
 * The inner API: every SOGS and file-server route, declared in this folder over the domain
 * services, and the one router that runs them (router.ts). The onion gateway is its door.
 */
@Module({
  imports: [AuthModule, RoomsModule, ModerationModule, InboxModule, FilesModule],
  providers: [...SOURCES, { provide: INNER_ROUTES, inject: SOURCES, useFactory: (...sources: RouteSource[]) => sources.flatMap((s) => s.routes()) }, InnerRouter],
  exports: [InnerRouter],
})
export class ApiModule {}
