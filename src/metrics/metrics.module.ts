import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** Global so any module can count its events; the admin app serves the same instance at /metrics. */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
