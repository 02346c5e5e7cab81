import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { InternalDispatcher } from './internal-dispatcher';
import { OnionGatewayRoutes } from './onion-gateway.routes';
import { OnionGatewayService } from './onion-gateway.service';

/**
 * The only public door (spec §4, DESIGN "Only the gateway is public"): onion requests are
 * decrypted and dispatched into this same app; InternalDispatcher is also what /batch uses.
 */
@Module({
  imports: [AuthModule],
  providers: [InternalDispatcher, OnionGatewayService, OnionGatewayRoutes],
  exports: [InternalDispatcher],
})
export class OnionGatewayModule {}
