import { PrimaryAdmin } from './primary-admin';
import type { AppConfig } from '../config/config';
import { loadOrCreateServerKey } from '../config/server-key';
import { createLogger } from '../logging/logger';
import { Supervisor } from './supervisor';

/**
 * The cluster primary of API_WORKERS > 1: creates the server key once (workers only read it), runs
 * the workers that share the public port, serves the admin port for the group, and on SIGTERM or
 * SIGINT stops every worker within SHUTDOWN_TIMEOUT. It loads neither Nest nor Prisma.
 */
export async function runPrimary(config: AppConfig, workers: number): Promise<void> {
  const log = createLogger(config).child({ context: 'Cluster' });
  const key = loadOrCreateServerKey(config.KEY_FILE);
  const supervisor = new Supervisor(config, workers, log);
  const admin = new PrimaryAdmin(config, supervisor);

  let closing: Promise<void> | null = null;
  const shutdown = (reason: string, failed = false) =>
    (closing ??= (async () => {
      log.info(`${reason}: stopping ${workers} API workers`);
      const clean = await supervisor.stop(config.SHUTDOWN_TIMEOUT * 1000);
      await admin.close();
      process.exit(clean && !failed ? 0 : 1);
    })());
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const adminUrl = await admin.listen();
  log.info({ x25519_pubkey: key.publicKeyHex, adminUrl }, `Starting ${workers} API workers (server public key ${key.publicKeyHex})`);
  try {
    await supervisor.start();
  } catch (err) {
    log.error((err as Error).message);
    await shutdown('start-up failed', true);
  }
}
