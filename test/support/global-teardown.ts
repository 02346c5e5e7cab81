import { rmSync } from 'node:fs';
import { dropDatabases, listDatabases, runId, templateName } from './db';

/** Stops the S3 server and drops this run's template and any test database a context left behind. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__SCS_HARNESS__;
  if (state) {
    state.s3.httpServer?.closeAllConnections();
    await state.s3.close();
    rmSync(state.s3Dir, { recursive: true, force: true });
    globalThis.__SCS_HARNESS__ = undefined;
  }
  const run = runId();
  await dropDatabases([...(await listDatabases(`scs_t_${run}_`)), templateName(run)]);
}
