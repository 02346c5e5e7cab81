import { Module } from '@nestjs/common';
import { OnionGatewayModule } from '../onion-gateway/onion-gateway.module';
import { GeneralController } from './general.controller';
import { GeneralService } from './general.service';

/** GET /capabilities, POST /batch, POST /sequence (spec §6.1). */
@Module({
  imports: [OnionGatewayModule],
  controllers: [GeneralController],
  providers: [GeneralService],
})
export class GeneralModule {}
