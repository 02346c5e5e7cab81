import type { PluginEvent } from './plugin-events';

/** Why a plugin's answer was not taken: each is a metric outcome and leads to the default decision. */
export type FailureKind = 'timeout' | 'error' | 'invalid' | 'unavailable' | 'signature';

export class PluginFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'PluginFailure';
  }
}

/** One running plugin, in a worker or behind a webhook: sends an event, returns the raw answer. */
export interface PluginHost {
  /** Rejects with a PluginFailure when there is no answer within `deadlineMs`. */
  call(event: PluginEvent, deadlineMs: number): Promise<unknown>;
  close(): Promise<void>;
}
