import { ConfigError, loadConfig } from './config/config';
import { startServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const server = await startServer(config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    // Stop accepting, let in-flight requests and jobs finish, then close pools; never hang forever.
    const timer = setTimeout(() => {
      process.stderr.write(`Shutdown after ${signal} took longer than ${config.SHUTDOWN_TIMEOUT}s; exiting\n`);
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT * 1000);
    timer.unref();
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
