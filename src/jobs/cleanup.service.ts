import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InboxService } from '../inbox/inbox.service';
import { RoomsService } from '../rooms/rooms.service';
import { ModerationService } from '../moderation/moderation.service';
import { JobName } from './job-names';
import { OnJob } from './on-job.decorator';

/**
 * The periodic cleanup of spec §9.4, one step per domain. Each domain keeps its own rules; this
 * only calls them. Services are looked up at run time because the domain modules depend on the
 * jobs module (for scheduling), not the other way round. Steps run independently: one failing
 * step fails the job (so it is retried and counted) after the others have run.
 */
@Injectable()
export class CleanupService {
  private readonly logger = new Logger('Cleanup');

  constructor(private readonly moduleRef: ModuleRef) {}

  @OnJob(JobName.Cleanup)
  async cleanup(): Promise<void> {
    const moderation = this.moduleRef.get(ModerationService, { strict: false });
    const inbox = this.moduleRef.get(InboxService, { strict: false });
    const rooms = this.moduleRef.get(RoomsService, { strict: false });
    // spec §9.4: step 1 (files) is the file sweep's own job; step 6 (nonces) expires in Redis.
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['rooms.pruneHistory', () => rooms.pruneHistory()],
      ['inbox.expireMessages', () => inbox.expireMessages()],
      ['rooms.refreshActiveUsers', () => rooms.refreshActiveUsers()],
      ['moderation.applyDueFutures', () => moderation.applyDueFutures()],
    ];
    const failures: string[] = [];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
        this.logger.error(`${name} failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
    if (failures.length) throw new Error(`cleanup steps failed: ${failures.join('; ')}`);
  }
}
