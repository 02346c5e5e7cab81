import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfig, type AppConfig } from './config/config';

// Prisma's query compiler is WebAssembly. V8 would re-compile its hot functions with TurboFan on
// background threads, whose compiler memory then stays in glibc's per-thread arenas: ≈ 15 MB of
// resident memory, for code the baseline compiler (Liftoff) runs as fast here (cachegrind:
// instructions per query within 1 %). Set before any WebAssembly is compiled.
setFlagsFromString('--liftoff-only');

/** HTTP API processes for this configuration: a worker-only process serves no API. */
function apiWorkers(config: AppConfig): number {
  if (config.ROLE === 'worker') return 1;
  return config.API_WORKERS === 'auto' ? availableParallelism() : config.API_WORKERS;
}

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
  const workers = apiWorkers(config);
  // Loaded on demand: a cluster primary never loads Nest, Prisma or the rest of the server.
  if (workers > 1 && cluster.isPrimary) {
    const { runPrimary } = await import('./cluster/primary.js');
    return runPrimary(config, workers);
  }
  const { startServer, startupBannerOf } = await import('./server.js');
  // In a cluster worker the admin port is the primary's, which asks this process over IPC.
  const server = await startServer(config, { admin: cluster.isWorker ? 'primary' : 'listen' });
  // The admin's next steps, in plain text beside the JSON logs (stderr, so log collectors of stdout are unaffected).
  if (!cluster.isWorker) process.stderr.write(await startupBannerOf(server, config).catch((err: Error) => `Start-up banner unavailable: ${err.message}\n`));
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${signal}: shutting down (in-flight requests and jobs finish, at most ${config.SHUTDOWN_TIMEOUT}s)\n`);
    // Stop accepting, let in-flight requests and jobs finish, then close pools; never hang forever.
    const timer = setTimeout(() => {
      process.stderr.write(`Shutdown after ${signal} took longer than ${config.SHUTDOWN_TIMEOUT}s; exiting\n`);
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT * 1000);
    timer.unref();
    server.close().then(
      () => {
        process.stderr.write('Stopped.\n');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
