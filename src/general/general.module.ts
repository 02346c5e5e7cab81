import { Module } from '@nestjs/common';
import { InboxDirectRoutes } from '../inbox/inbox.direct-routes';
import { InboxModule } from '../inbox/inbox.module';
import { OnionGatewayModule } from '../onion-gateway/onion-gateway.module';
import { RoomsDirectRoutes } from '../rooms/rooms.direct-routes';
import { RoomsModule } from '../rooms/rooms.module';
import { GeneralController } from './general.controller';
import { GeneralService } from './general.service';

/**
 * GET /capabilities, POST /batch, POST /sequence (spec §6.1), and the direct routes of the poll
 * batch (onion-gateway/direct-routes.ts), which live with their domains but only matter here.
 */
@Module({
  imports: [OnionGatewayModule, RoomsModule, InboxModule],
  controllers: [GeneralController],
  providers: [GeneralService, RoomsDirectRoutes, InboxDirectRoutes],
})
export class GeneralModule {}
