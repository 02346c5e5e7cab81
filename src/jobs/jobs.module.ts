import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CleanupService } from './cleanup.service';
import { JobsService } from './jobs.service';

/** BullMQ queues, workers and the periodic cleanup; domain modules import it to schedule jobs. */
@Module({
  imports: [DiscoveryModule],
  providers: [JobsService, CleanupService],
  exports: [JobsService],
})
export class JobsModule {}
