import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { ConfigError, loadConfig, type AppConfig } from '../config/config';
import { loadOrCreateServerKey, type ServerKey } from '../config/server-key';
import { PinoNestLogger } from '../logging/logger';
import { CliModule } from './cli.module';
import { CliError, type CliIO } from './io';

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

  /** The server key from KEY_FILE (created on first use, as the server does; protocol §2.1). Needs no database. */
  serverKey(): ServerKey {
    if (!this.cachedKey) {
      let keyFile: string;
      try {
        keyFile = loadConfig(this.env, { DATABASE_URL: this.env.DATABASE_URL || 'postgresql://unused' }).KEY_FILE;
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, 2);
        throw err;
      }
      try {
        this.cachedKey = loadOrCreateServerKey(keyFile);
      } catch (err) {
        throw new CliError(`Cannot read the server key: ${(err as Error).message}`);
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

  /** Closes pools and connections so the process can exit. */
  async close(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    // A context that failed to start has nothing to close (its error was already reported).
    const started = await app?.catch(() => undefined);
    await started?.close();
  }

  private async createApp(): Promise<INestApplicationContext> {
    const config = this.config();
    // Warnings and errors go to stderr as JSON lines, keeping stdout for the command's output.
    const logger = new PinoNestLogger(pino({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL }, pino.destination(2)));
    const app = await NestFactory.createApplicationContext(CliModule.register(config, this.serverKey()), { logger, abortOnError: false });
    await app.init();
    return app;
  }
}
