import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { ConfigError, loadConfig, type AppConfig } from '../config/config';
import { loadServerKey, type ServerKey } from '../config/server-key';
import { checkDatabase, DatabaseNotReady } from '../database/readiness';
import { PinoNestLogger } from '../logging/logger';
import { checkRedis, RedisNotReady } from '../redis/readiness';
import { CliModule } from './cli.module';
import { CliError, type CliIO } from './io';

/** Longest wait for the domain modules to close (pools, Redis, job queues) at the end of a command. */
const CLOSE_TIMEOUT_MS = 5000;

type Closable = { onModuleDestroy?: () => unknown; beforeApplicationShutdown?: () => unknown; onApplicationShutdown?: () => unknown };

/**
 * What a command needs, built on first use: the config (from the environment, as the server reads
 * it), the server key, and a Nest application context holding the domain services.
 */
export class CliContext {
  private cachedConfig: AppConfig | undefined;
  private cachedKey: ServerKey | undefined;
  private app: Promise<INestApplicationContext> | undefined;

  constructor(
    readonly io: CliIO,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  config(): AppConfig {
    if (!this.cachedConfig) {
      try {
        // The CLI never runs job processors: that is the worker's (or the all-in-one server's) work.
        this.cachedConfig = loadConfig(this.env, { ROLE: 'api' });
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, 2);
        throw err;
      }
    }
    return this.cachedConfig;
  }

  /** The server key from KEY_FILE, which only the server creates (protocol §2.1). Needs no database. */
  serverKey(): ServerKey {
    if (!this.cachedKey) {
      try {
        this.cachedKey = loadServerKey(this.config().KEY_FILE);
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError((err as Error).message);
      }
    }
    return this.cachedKey;
  }

  /** A provider of the domain modules (RoomsService, ModerationService, FilesService, …). */
  async get<T>(type: Type<T>): Promise<T> {
    this.app ??= this.createApp();
    return (await this.app).get(type, { strict: false });
  }

  out(text: string): void {
    this.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  json(value: unknown): void {
    this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Closes pools and connections so the process can exit; false when they did not close in time. */
  async close(): Promise<boolean> {
    const app = this.app;
    this.app = undefined;
    // A context that failed to start closed what it had opened (createApp).
    const started = await app?.catch(() => undefined);
    return started ? withDeadline(started.close()) : true;
  }

  private async createApp(): Promise<INestApplicationContext> {
    const config = this.config();
    const serverKey = this.serverKey();
    try {
      await Promise.all([checkDatabase(config), checkRedis(config)]);
    } catch (err) {
      if (err instanceof DatabaseNotReady || err instanceof RedisNotReady) throw new CliError(err.message);
      throw err;
    }
    // Errors go to stderr as JSON lines, keeping stdout for the command's output; the server's start-up
    // warnings (Redis persistence, …) are the server's to report, so they show only at LOG_LEVEL=debug.
    const logger = new PinoNestLogger(pino({ level: ['info', 'warn'].includes(config.LOG_LEVEL) ? 'error' : config.LOG_LEVEL }, pino.destination(2)));
    // Every instance the injector creates, so that a start that fails halfway (a start-up hook
    // meeting a database error) can still close the pools and connections already opened:
    // NestFactory returns no context to close then, and those would keep the process alive.
    const created: Closable[] = [];
    const instanceDecorator = (instance: unknown) => {
      if (instance && typeof instance === 'object') created.push(instance);
      return instance;
    };
    try {
      return await NestFactory.createApplicationContext(CliModule.register(config, serverKey), { logger, abortOnError: false, instrument: { instanceDecorator } });
    } catch (err) {
      await withDeadline(closeInstances(created.reverse()));
      throw err;
    }
  }
}

/** Nest's shutdown hooks, called directly on instances whose module never finished starting. */
async function closeInstances(instances: Closable[]): Promise<void> {
  for (const hook of ['onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown'] as const) {
    for (const instance of instances) {
      try {
        await instance[hook]?.();
      } catch {
        // Closing what never fully opened may fail; the rest must still close.
      }
    }
  }
}

async function withDeadline(work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work.then(() => true), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
