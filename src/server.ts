import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppConfig } from './config/config';
import { loadOrCreateServerKey, type ServerKey } from './config/server-key';
import { RoomsService } from './rooms/rooms.service';
import { startupBanner } from './web/banner';
import type { Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module';
import { installBodyBudget } from './core/body-budget';
import type { Clock } from './core/clock';
import { installRawBodyParser } from './core/http-setup';
import { answerAdminQueries, startAdminServer } from './admin/admin-server';
import { createLogger, PinoNestLogger, requestId } from './logging/logger';
import { installRequestLogging } from './logging/request-logging';
import { installRequestMetrics } from './metrics/http-metrics';
import { MetricsService } from './metrics/metrics.service';

export interface RunningServer {
  app: NestFastifyApplication;
  /** The admin listener; null in a cluster worker, whose primary serves the admin port. */
  admin: NestFastifyApplication | null;
  serverKey: ServerKey;
  /** http://host:port of the public listener (onion gateway and web page); empty in the worker role. */
  url: string;
  /** http://host:port of the admin listener (health, readiness, metrics); empty in a cluster worker. */
  adminUrl: string;
  close(): Promise<void>;
}

function listenUrl(app: INestApplication): string {
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
}

/**
 * Builds and starts the public and admin listeners for one process (used by main.ts and tests).
 * `logger`: false silences everything; a pino logger (tests capture lines with one) replaces the
 * default JSON logger on stdout. `admin`: 'primary' in a cluster worker (API_WORKERS > 1): no
 * admin listener here; the primary serves the admin port and asks this process over IPC. `clock`:
 * the time the services read (tests pass one they can move); the system clock by default.
 */
export async function startServer(config: AppConfig, options: { logger?: boolean | PinoLogger; admin?: 'listen' | 'primary'; clock?: Clock } = {}): Promise<RunningServer> {
  const serverKey = loadOrCreateServerKey(config.KEY_FILE);
  const pino = options.logger === false ? undefined : options.logger === true || !options.logger ? createLogger(config) : options.logger;
  const logger = pino ? new PinoNestLogger(pino) : false;

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, serverKey, options.clock),
    new FastifyAdapter({
      bodyLimit: config.ONION_MAX_BODY,
      // Slow or stalled clients (slowloris) are ended by deadlines instead of holding sockets and
      // buffers forever; node enforces them on each check of its connections, hence the interval.
      requestTimeout: config.HTTP_REQUEST_TIMEOUT * 1000,
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT * 1000,
      http: {
        headersTimeout: Math.min(config.HTTP_HEADERS_TIMEOUT, config.HTTP_REQUEST_TIMEOUT) * 1000,
        connectionsCheckingInterval: Math.min(1000, config.HTTP_HEADERS_TIMEOUT * 500),
      },
      routerOptions: { maxParamLength: 1024 },
      loggerInstance: pino,
      // Our own onResponse line replaces Fastify's two per-request lines (logging/request-logging.ts).
      logController: new LogController({ disableRequestLogging: true }),
      genReqId: (req: { headers: IncomingMessage['headers'] }) => requestId(req.headers['x-request-id']),
    }),
    // bodyParser off: Nest would otherwise add its JSON parser at init, over the raw-body parser below.
    { logger, abortOnError: false, bodyParser: false },
  );
  const fastify = app.getHttpAdapter().getInstance();
  installRawBodyParser(fastify, config.ONION_MAX_BODY);
  installBodyBudget(fastify, config.HTTP_MAX_PENDING_BODY_BYTES);
  fastify.server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  installRequestMetrics(fastify, app.get(MetricsService));
  if (pino) installRequestLogging(fastify);
  app.enableShutdownHooks();
  // A worker-only process runs the job processors and the admin port, but serves no public requests.
  const publicListener = config.ROLE !== 'worker';
  if (publicListener) await app.listen(config.PORT, config.HOST);
  else await app.init();

  let admin: NestFastifyApplication | null = null;
  // In a cluster worker the admin app answers the primary's questions in memory (no listener).
  let forPrimary: NestFastifyApplication | null = null;
  if (options.admin === 'primary') forPrimary = await answerAdminQueries(app, config, logger);
  else admin = await startAdminServer(app, config, logger);

  pino?.info({ context: 'Identity', x25519_pubkey: serverKey.publicKeyHex }, `Server public key ${serverKey.publicKeyHex}`);
  return {
    app,
    admin,
    serverKey,
    url: publicListener ? listenUrl(app) : '',
    adminUrl: admin ? listenUrl(admin) : '',
    async close() {
      await app.close();
      await admin?.close();
      await forPrimary?.close();
    },
  };
}

/** The start-up banner (web/banner.ts) of a started server: its listeners, key and rooms. */
export async function startupBannerOf(server: RunningServer, config: AppConfig): Promise<string> {
  const rooms = await server.app.get(RoomsService, { strict: false }).allRooms();
  return startupBanner({ config, publicKeyHex: server.serverKey.publicKeyHex, publicUrl: server.url, adminUrl: server.adminUrl, roomTokens: rooms.map((r) => r.token) });
}
