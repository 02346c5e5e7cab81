/** Every BullMQ queue of the server. */
export enum QueueName {
  /** Per-file expiry and the sweep (DESIGN "Files"). */
  Files = 'files',
  /** The periodic cleanup of protocol §9.4, one job per domain step. */
  Maintenance = 'maintenance',
  /** Notifications to webhook plugins, retried with back-off (issue 16). */
  Plugins = 'plugins',
}

/** Every job; each has exactly one handler (`@OnJob`), checked at start-up. */
export enum JobName {
  /** Deletes one file at its expiry instant; data: FileExpiryData. */
  FileExpiry = 'file-expiry',
  /** Repeatable (FILE_SWEEP_INTERVAL): deletes every due file and finishes half-done deletions. */
  FileSweep = 'file-sweep',
  /** Repeatable (CLEANUP_INTERVAL): drops old edit history (protocol §9.4 step 2). */
  PruneHistory = 'prune-history',
  /** Repeatable (CLEANUP_INTERVAL): deletes expired DMs (protocol §9.4 step 3). */
  ExpireDms = 'expire-dms',
  /** Repeatable (CLEANUP_INTERVAL): recounts rooms' active users (protocol §9.4 step 4). */
  RefreshActiveUsers = 'refresh-active-users',
  /** Repeatable (CLEANUP_INTERVAL): applies due permission futures and (un)bans (protocol §9.4 step 5). */
  ApplyFutures = 'apply-futures',
  /** Repeatable (CLEANUP_INTERVAL): forgets who uploaded files older than FILE_UPLOADER_RETENTION (docs/privacy.md). */
  ForgetUploaders = 'forget-uploaders',
  /** Repeatable (CLEANUP_INTERVAL): drops audit log entries older than AUDIT_RETENTION (issue 14). */
  PruneAudit = 'prune-audit',
  /** Repeatable (CLEANUP_INTERVAL): drops users' reports older than REPORTS_RETENTION (issue 14). */
  PruneReports = 'prune-reports',
  /** Repeatable (CLEANUP_INTERVAL): rolls messages up into per-room, per-hour post counts (issue 17). */
  CountPosts = 'count-posts',
  /** Delivers one notification event to one webhook plugin; data: PluginNotifyData. */
  PluginNotify = 'plugin-notify',
}

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.FileExpiry]: QueueName.Files,
  [JobName.FileSweep]: QueueName.Files,
  [JobName.PruneHistory]: QueueName.Maintenance,
  [JobName.ExpireDms]: QueueName.Maintenance,
  [JobName.RefreshActiveUsers]: QueueName.Maintenance,
  [JobName.ApplyFutures]: QueueName.Maintenance,
  [JobName.ForgetUploaders]: QueueName.Maintenance,
  [JobName.PruneAudit]: QueueName.Maintenance,
  [JobName.PruneReports]: QueueName.Maintenance,
  [JobName.CountPosts]: QueueName.Maintenance,
  [JobName.PluginNotify]: QueueName.Plugins,
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
  [JobName.PruneHistory]: Record<string, never>;
  [JobName.ExpireDms]: Record<string, never>;
  [JobName.RefreshActiveUsers]: Record<string, never>;
  [JobName.ApplyFutures]: Record<string, never>;
  [JobName.ForgetUploaders]: Record<string, never>;
  [JobName.PruneAudit]: Record<string, never>;
  [JobName.PruneReports]: Record<string, never>;
  [JobName.CountPosts]: Record<string, never>;
  [JobName.PluginNotify]: PluginNotifyData;
}

/** One notification for one plugin: its name and the event as sent (docs/plugins.md). */
export interface PluginNotifyData {
  plugin: string;
  event: { type: string; id: string } & Record<string, unknown>;
}

/** Deterministic ids: scheduling the same file twice replaces, never duplicates, its job. */
export function fileExpiryJobId(data: FileExpiryData): string {
  return `${JobName.FileExpiry}-${data.kind}-${data.id}`;
}
