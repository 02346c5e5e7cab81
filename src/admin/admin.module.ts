import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import type { ReadinessCheck } from '../health/readiness';
import { MetricsController } from '../metrics/metrics.controller';
import { MetricsService } from '../metrics/metrics.service';

/**
 * The admin-port application: /healthz, /readyz and /metrics. It owns no connections of its own;
 * the checks and the metrics registry come from the API or worker process it reports on, so
 * readiness probes the very Postgres pool, Redis client and storage that serve requests.
 */
@Module({})
export class AdminModule {
  static register(options: { checks: ReadinessCheck[]; timeoutMs: number; metrics: MetricsService }): DynamicModule {
    return {
      module: AdminModule,
      imports: [HealthModule.register(options.checks, options.timeoutMs)],
      controllers: [MetricsController],
      providers: [{ provide: MetricsService, useValue: options.metrics }],
    };
  }
}
