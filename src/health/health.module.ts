import { DynamicModule, Module } from '@nestjs/common';
import { HealthController, READINESS_CHECKS, READINESS_TIMEOUT_MS } from './health.controller';
import type { ReadinessCheck } from './readiness';

/** /healthz and /readyz; the checks are built by the process that owns the dependencies. */
@Module({})
export class HealthModule {
  static register(checks: ReadinessCheck[], timeoutMs: number): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        { provide: READINESS_CHECKS, useValue: checks },
        { provide: READINESS_TIMEOUT_MS, useValue: timeoutMs },
      ],
    };
  }
}
