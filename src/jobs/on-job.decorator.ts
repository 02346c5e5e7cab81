import { SetMetadata } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import type { JobName } from './job-names';

export const ON_JOB = 'scs:on-job';

/** A config value in seconds: how often a periodic job runs. */
export type IntervalSetting = { [K in keyof AppConfig]-?: AppConfig[K] extends number ? K : never }[keyof AppConfig];

export interface JobDeclaration {
  name: JobName;
  /** Periodic: the job is scheduled every `config[every]` seconds by the worker processes. */
  every?: IntervalSetting;
}

/**
 * Marks a domain method as the handler of a job; the jobs module finds it at start-up. The method
 * receives the job's data (a periodic job has none: its method is called without arguments) and
 * must be idempotent: a job is retried after a failure and may run again after a crash.
 */
export const OnJob = (name: JobName, options: { every?: IntervalSetting } = {}): MethodDecorator => SetMetadata(ON_JOB, { name, ...options } satisfies JobDeclaration);
