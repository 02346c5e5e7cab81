import { Module } from '@nestjs/common';
import { StandingRepository } from './standing.repository';
import { StandingService } from './standing.service';

/**
 * Standing (issue 14 item 2) on its own, with core services only: ModerationModule re-exports it, and
 * modules that ModerationModule depends on (rooms) may import it without a cycle.
 */
@Module({
  providers: [StandingRepository, StandingService],
  exports: [StandingService],
})
export class StandingModule {}
