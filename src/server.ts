import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { type AppConfig } from './config/config';
import { loadOrCreateServerKey, type ServerKey } from './config/server-key';
import { AppModule } from './app.module';
import { HealthModule } from './health/health.module';
import { installRawBodyParser } from './core/http-setup';

export interface RunningServer {
  app: NestFastifyApplication;
  admin: NestFastifyApplication;
  serverKey: ServerKey;
  /** http://host:port of the public listener (onion gateway and web page). */
  url: string;
  /** http://host:port of the admin listener (health, readiness, metrics). */
  adminUrl: string;
  close(): Promise<void>;
}

function listenUrl(app: INestApplication): string {
  const address = app.getHttpServer().address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
}

/** Builds and starts the public and admin listeners for one process (used by main.ts and tests). */
export async function startServer(config: AppConfig, options: { logger?: boolean } = {}): Promise<RunningServer> {
  const serverKey = loadOrCreateServerKey(config.KEY_FILE);
  const logger = options.logger === false ? false : undefined;

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, serverKey),
    new FastifyAdapter({ bodyLimit: config.ONION_MAX_BODY, maxParamLength: 1024 }),
    { logger, abortOnError: false },
  );
  installRawBodyParser(app.getHttpAdapter().getInstance(), config.ONION_MAX_BODY);
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);

  const admin = await NestFactory.create<NestFastifyApplication>(HealthModule, new FastifyAdapter(), { logger, abortOnError: false });
  await admin.listen(config.ADMIN_PORT, config.ADMIN_HOST);

  if (logger !== false) Logger.log(`Server public key ${serverKey.publicKeyHex}`, 'Identity');
  return {
    app,
    admin,
    serverKey,
    url: listenUrl(app),
    adminUrl: listenUrl(admin),
    async close() {
      await app.close();
      await admin.close();
    },
  };
}
