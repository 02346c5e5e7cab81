import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { dependencyFailure } from '../core/dependency-errors';

/** File-server routes answer errors as JSON `{"status_code": N}` with the same status (spec §12). */
@Catch()
export class FileServerExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('FileServer');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let status = 500;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
    } else {
      const code = (exception as { statusCode?: unknown })?.statusCode;
      if (typeof code === 'number' && code >= 400 && code < 500) status = code;
      // A dependency that is away (database, Redis, S3) is temporary: 503, so the client retries.
      else if (dependencyFailure(exception)) status = 503;
      else this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    void reply.status(status).header('content-type', 'application/json').send({ status_code: status });
  }
}
