import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { migrate } from '../../src/database/migrate';
import { databaseUrl, dropDatabases, listDatabases, templateName } from './db';

export interface HarnessState {
  s3: S3rver;
  s3Dir: string;
}
declare global {
  var __SCS_HARNESS__: HarnessState | undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Drops the databases of earlier runs whose jest process is gone (killed runs never tear down). */
async function dropAbandonedDatabases(): Promise<void> {
  const names = [...(await listDatabases('scs_t_')), ...(await listDatabases('scs_test_template_'))];
  const abandoned = names.filter((name) => {
    const pid = Number(/^(?:scs_t_|scs_test_template_)(\d+)/.exec(name)?.[1]);
    return Number.isInteger(pid) && pid !== process.pid && !alive(pid);
  });
  await dropDatabases(abandoned);
}

/**
 * Once per jest run, in the parent process: builds the template database from the migrations
 * (every test context clones it) and starts a real S3-protocol server (s3rver) on loopback.
 * Workers are forked after this and inherit what it puts in process.env.
 */
export default async function globalSetup(): Promise<void> {
  const run = String(process.pid);
  process.env.SCS_TEST_RUN = run;
  await dropAbandonedDatabases();

  const template = templateName(run);
  await dropDatabases([template]);
  await migrate(databaseUrl(template));

  const s3Dir = mkdtempSync(join(tmpdir(), 'scs-s3rver-'));
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, vhostBuckets: false });
  const { port } = await s3.run();
  process.env.SCS_TEST_S3_ENDPOINT = `http://127.0.0.1:${port}`;
  globalThis.__SCS_HARNESS__ = { s3, s3Dir };
}
