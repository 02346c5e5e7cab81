import { Module } from '@nestjs/common';
import { ApiModule } from '../api/api.module';
import { OnionGatewayRoutes } from './onion-gateway.routes';
import { OnionGatewayService } from './onion-gateway.service';

/**
 * The only public door (protocol §4, DESIGN "Only the gateway is public"): onion requests are
 * decrypted and their inner requests run by the API's inner router.
 */
@Module({
  imports: [ApiModule],
  providers: [OnionGatewayService, OnionGatewayRoutes],
})
export class OnionGatewayModule {}
