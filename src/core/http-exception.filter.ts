import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { dependencyFailure } from './dependency-errors';

/**
 * Errors travel as plain text with their status (spec §5: clients look only at the status; auth
 * errors have exact texts, spec §3.2). A dependency that is away (database, Redis, S3) is a 503 with
 * a reason, so clients retry; anything else that is not an HttpException is a bug: it is logged and
 * answered 500 without detail.
 */
@Catch()
export class PlainTextExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let status = 500;
    let body = 'Internal server error';
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const response = exception.getResponse();
      body = typeof response === 'string' ? response : messageOf(response) ?? exception.message;
    } else {
      const err = exception as { statusCode?: number; message?: string };
      // Fastify's own errors (body too large, bad content length) carry a 4xx statusCode.
      const unavailable = dependencyFailure(exception);
      if (typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        status = err.statusCode;
        body = err.message ?? 'Bad request';
      } else if (unavailable) {
        status = 503;
        body = `Service temporarily unavailable (${unavailable}); try again later`;
        this.logger.warn(`${unavailable} unavailable: ${err?.message ?? String(exception)}`);
      } else {
        this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
      }
    }
    void reply.status(status).header('content-type', 'text/plain; charset=utf-8').send(body);
  }
}

function messageOf(response: object): string | undefined {
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return undefined;
}
