/** Every BullMQ queue of the server. */
export enum QueueName {
  /** Per-file expiry and the sweep (DESIGN "Files"). */
  Files = 'files',
  /** The periodic cleanup of spec §9.4. */
  Maintenance = 'maintenance',
}

/** Every job; each has exactly one handler (`@OnJob`), checked at start-up. */
export enum JobName {
  /** Deletes one file at its expiry instant; data: FileExpiryData. */
  FileExpiry = 'file-expiry',
  /** Repeatable (FILE_SWEEP_INTERVAL): deletes every due file and finishes half-done deletions. */
  FileSweep = 'file-sweep',
  /** Repeatable (CLEANUP_INTERVAL): the other domains' maintenance (spec §9.4). */
  Cleanup = 'cleanup',
}

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.FileExpiry]: QueueName.Files,
  [JobName.FileSweep]: QueueName.Files,
  [JobName.Cleanup]: QueueName.Maintenance,
};

/** Room files (`files`) and file-server files (`server_files`). */
export type FileKind = 'room' | 'server';

export interface FileExpiryData {
  kind: FileKind;
  id: string;
}

export interface JobData {
  [JobName.FileExpiry]: FileExpiryData;
  [JobName.FileSweep]: Record<string, never>;
  [JobName.Cleanup]: Record<string, never>;
}

/** Deterministic ids: scheduling the same file twice replaces, never duplicates, its job. */
export function fileExpiryJobId(data: FileExpiryData): string {
  return `${JobName.FileExpiry}-${data.kind}-${data.id}`;
}
