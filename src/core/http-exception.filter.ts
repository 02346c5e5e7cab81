import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { dependencyFailure } from './dependency-errors';

/**
 * Errors travel as plain text with their status (protocol §5: clients look only at the status; auth
 * errors have exact texts, protocol §3.2). A dependency that is away (database, Redis, S3) is a 503 with
 * a reason, so clients retry; anything else that is not an HttpException is a bug: it is logged and
 * answered 500 without detail.
 */
@Catch()
export class PlainTextExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = errorReply(exception, this.logger);
    void reply.status(status).header('content-type', ERROR_CONTENT_TYPE).send(body);
  }
}

export const ERROR_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** The status and plain-text body of an error (see the filter); logs what is not the client's fault. */
export function errorReply(exception: unknown, logger: Logger): { status: number; body: string } {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    return { status: exception.getStatus(), body: typeof response === 'string' ? response : (messageOf(response) ?? exception.message) };
  }
  const err = exception as { statusCode?: number; message?: string };
  // Fastify's own errors (body too large, bad content length) carry a 4xx statusCode.
  if (typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return { status: err.statusCode, body: err.message ?? 'Bad request' };
  const unavailable = dependencyFailure(exception);
  if (unavailable) {
    logger.warn(`${unavailable} unavailable: ${err?.message ?? String(exception)}`);
    return { status: 503, body: `Service temporarily unavailable (${unavailable}); try again later` };
  }
  logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return { status: 500, body: 'Internal server error' };
}

function messageOf(response: object): string | undefined {
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return undefined;
}
