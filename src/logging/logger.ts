import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/config';

/**
 * Paths that must never reach a log line, whatever a caller passes in: auth headers (signature,
 * nonce, pubkey), message bodies and key material. Serializers below already keep headers and
 * bodies out; redaction is the second line of defence for objects logged by hand.
 */
export const REDACTED_PATHS = [
  'req.headers',
  'request.headers',
  'headers',
  '*.headers',
  'body',
  '*.body',
  'data',
  '*.data',
  'signature',
  '*.signature',
  'nonce',
  '*.nonce',
  'privateKey',
  '*.privateKey',
  'key',
  '*.key',
  'seed',
  '*.seed',
  'authorization',
  '*.authorization',
];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A request id: the caller's X-Request-Id when it is a short plain token, else a fresh UUID. */
export function requestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

interface SerializableRequest {
  id?: string;
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
}

/** Only the method and the path (no query string, no headers, no body) of a request is logged. */
function serializeRequest(req: SerializableRequest): Record<string, unknown> {
  return { id: req.id, method: req.method, route: req.routeOptions?.url, path: req.url?.split('?')[0] };
}

/** The process logger: structured JSON at LOG_LEVEL, one object per line. */
export function createLogger(config: Pick<AppConfig, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest, request: serializeRequest, err: pino.stdSerializers.err },
    },
    destination,
  );
}

/** Adapts pino to Nest's LoggerService so Nest's own messages come out as the same JSON lines. */
/** Contexts of Nest's own start-up logging: route maps, module and controller initialisation. */
const NEST_START_UP_CONTEXTS = new Set(['RouterExplorer', 'RoutesResolver', 'InstanceLoader', 'NestFactory', 'NestApplication']);

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    // Nest's start-up lines (one per route and per module) drown the useful ones: debug only.
    const context = rest.at(-1);
    this.write(typeof context === 'string' && NEST_START_UP_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  // Nest passes optional (stack, context) or (context) after the message; the last string is the context.
  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', message: unknown, rest: unknown[]): void {
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = level === 'error' && rest.length >= 2 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...message });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
