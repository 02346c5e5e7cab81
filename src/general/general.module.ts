import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { InboxDirectRoutes } from '../inbox/inbox.direct-routes';
import { InboxModule } from '../inbox/inbox.module';
import { OnionGatewayModule } from '../onion-gateway/onion-gateway.module';
import { RoomsDirectRoutes } from '../rooms/rooms.direct-routes';
import { RoomsModule } from '../rooms/rooms.module';
import { GeneralController } from './general.controller';
import { GeneralDirectRoutes } from './general.direct-routes';
import { GeneralService } from './general.service';

/**
 * GET /capabilities, POST /batch, POST /sequence (spec §6.1), and the direct routes of the poll
 * batch (onion-gateway/direct-routes.ts), which live with their domains but only matter here.
 */
@Module({
  imports: [AuthModule, OnionGatewayModule, RoomsModule, InboxModule],
  controllers: [GeneralController],
  providers: [GeneralService, GeneralDirectRoutes, RoomsDirectRoutes, InboxDirectRoutes],
})
export class GeneralModule {}
