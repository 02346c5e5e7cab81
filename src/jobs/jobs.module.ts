import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobsService } from './jobs.service';

/**
 * BullMQ queues and workers. Handlers, periodic ones included, are declared with `@OnJob` on the
 * domain methods they run; domain modules import this module only to schedule jobs.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [JobsService],
  exports: [JobsService],
})
export class JobsModule {}
