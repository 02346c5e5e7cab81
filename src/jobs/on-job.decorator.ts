import { SetMetadata } from '@nestjs/common';
import type { JobName } from './job-names';

export const ON_JOB = 'scs:on-job';

/**
 * Marks a provider method as the handler of a job. The method receives the job's data and must
 * be idempotent: a job is retried after a failure and may run again after a crash.
 */
export const OnJob = (name: JobName): MethodDecorator => SetMetadata(ON_JOB, name);
