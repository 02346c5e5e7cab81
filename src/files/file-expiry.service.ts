import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../core/clock';
import { JobName, type FileExpiryData, type FileKind } from '../jobs/job-names';
import { JobNotDue, JobsService } from '../jobs/jobs.service';
import { OnJob } from '../jobs/on-job.decorator';
import { FilesRepository } from './files.repository';
import { ObjectStore } from './object-store.service';

const SWEEP_BATCH = 500;

export interface SweepResult {
  roomFiles: number;
  serverFiles: number;
  objects: number;
  /** Partial writes a crash left behind (see ObjectStore.sweepAbandonedWrites). */
  abandonedWrites: number;
}

/**
 * Expiry of room and file-server files (protocol §9.3, §12.7; DESIGN "Files"): a delayed job per file
 * at its expiry, and a repeatable sweep for everything else (missed jobs, expiries changed by
 * another module, deletions cut short by a crash). Reads check the expiry themselves, so neither
 * needs to be punctual for correctness.
 */
@Injectable()
export class FileExpiryService {
  private readonly logger = new Logger('FileExpiry');

  constructor(
    private readonly repo: FilesRepository,
    private readonly objects: ObjectStore,
    private readonly jobs: JobsService,
    private readonly clock: Clock,
  ) {}

  /**
   * (Re)schedules the deletion job of a file at `at` (unix seconds; null = never). Never fails
   * the caller: when Redis is unavailable the sweep still deletes the file in time.
   */
  async schedule(kind: FileKind, id: number | string, at: number | null): Promise<void> {
    try {
      await this.jobs.scheduleFileExpiry({ kind, id: String(id) }, at);
    } catch (err) {
      this.logger.warn(`could not schedule expiry of ${kind} file ${id}; the sweep will handle it: ${(err as Error).message}`);
    }
  }

  /** The per-file job: deletes the file if due; if its expiry moved later, waits until then. */
  @OnJob(JobName.FileExpiry)
  async expireOne(data: FileExpiryData): Promise<void> {
    const now = this.clock.seconds();
    if (data.kind === 'room') {
      const id = Number(data.id);
      const file = await this.repo.findRoomFile(id);
      if (!file) return;
      if (file.roomId !== null && file.expiry === null) return;
      if (file.roomId !== null && file.expiry !== null && file.expiry > now) throw new JobNotDue(file.expiry * 1000);
      await this.deleteRoomFile(id, now);
    } else {
      const file = await this.repo.findServerFile(data.id);
      if (!file) return;
      if (file.expiry > now) throw new JobNotDue(file.expiry * 1000);
      await this.deleteServerFile(data.id, now);
    }
  }

  /** The repeatable sweep: every due file, then every unreferenced object past its deadline. */
  @OnJob(JobName.FileSweep, { every: 'FILE_SWEEP_INTERVAL' })
  async sweep(): Promise<SweepResult> {
    const now = this.clock.seconds();
    const result: SweepResult = { roomFiles: 0, serverFiles: 0, objects: 0, abandonedWrites: 0 };
    for (;;) {
      const ids = await this.repo.dueRoomFileIds(now, SWEEP_BATCH);
      for (const id of ids) if (await this.deleteRoomFile(id, now)) result.roomFiles++;
      if (ids.length < SWEEP_BATCH) break;
    }
    for (;;) {
      const ids = await this.repo.dueServerFileIds(now, SWEEP_BATCH);
      for (const id of ids) if (await this.deleteServerFile(id, now)) result.serverFiles++;
      if (ids.length < SWEEP_BATCH) break;
    }
    result.objects = await this.objects.collectDue(now);
    result.abandonedWrites = await this.objects.sweepAbandonedWrites();
    if (result.roomFiles || result.serverFiles || result.objects) {
      this.logger.log(`sweep deleted ${result.roomFiles} room files, ${result.serverFiles} file-server files, ${result.objects} objects`);
    }
    return result;
  }

  /**
   * Row first (with its reference, in one transaction), then the object if that was its last
   * reference. If the process dies in between, the object row is left unreferenced with a
   * deadline of now, and the next sweep's collectDue finishes the deletion.
   */
  private async deleteRoomFile(id: number, now: number): Promise<boolean> {
    const { deleted, releasedKey } = await this.repo.transaction((tx) => this.repo.deleteDueRoomFile(tx, id, now));
    if (releasedKey) await this.objects.collect(releasedKey);
    return deleted;
  }

  private async deleteServerFile(id: string, now: number): Promise<boolean> {
    const { deleted, releasedKey } = await this.repo.transaction((tx) => this.repo.deleteDueServerFile(tx, id, now));
    if (releasedKey) await this.objects.collect(releasedKey);
    return deleted;
  }
}
