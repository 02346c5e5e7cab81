import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { checkReadiness, type ReadinessCheck } from './readiness';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
export const READINESS_TIMEOUT_MS = Symbol('READINESS_TIMEOUT_MS');

/** Liveness and readiness for orchestrators (admin port only). */
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(READINESS_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  /** The process is alive and its event loop turns; dependencies are not consulted. */
  @Get('healthz')
  @Header('Cache-Control', 'no-store')
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  /** 200 when Postgres, Redis and storage all answer within the timeout, else 503 naming the failures. */
  @Get('readyz')
  @Header('Cache-Control', 'no-store')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const report = await checkReadiness(this.checks, this.timeoutMs);
    await reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'unready', checks: report.checks });
  }
}
