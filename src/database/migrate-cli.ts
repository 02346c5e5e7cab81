import { ConfigError, loadConfig } from '../config/config';
import { migrate } from './migrate';

// `npm run db:migrate`: the one migrate command of the README, the Docker image and the Helm Job.
async function main(): Promise<void> {
  const config = loadConfig();
  await migrate(config.DATABASE_URL, { log: (line) => process.stdout.write(`${line}\n`) });
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${err instanceof ConfigError ? '' : 'Migration failed: '}${message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
