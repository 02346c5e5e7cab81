import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { JsonBody } from '../core/json-body';
import { httpDate } from './content-disposition';
import { FileServerExceptionFilter } from './file-server-exception.filter';
import { FileServerService, type ServerFileInfo } from './file-server.service';
import { headerValue, rawBody } from './request-body';

const TTL_HEADER = 'x-fs-ttl';

/** spec §12.5: the deprecated JSON upload (base64 of at most 8,000,000 characters). */
const legacyUploadSchema = z.object({ file: z.string().max(8_000_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64') });

/** The Session file server API (spec §12). Anonymous; errors are `{"status_code": N}`. */
@Controller()
@UseFilters(FileServerExceptionFilter)
export class FileServerController {
  constructor(
    private readonly files: FileServerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('file')
  @HttpCode(200)
  upload(@Req() req: FastifyRequest): Promise<{ id: string; expires: number }> {
    return this.files.upload(rawBody(req), headerValue(req, TTL_HEADER));
  }

  @Get('file/:id')
  async download(@Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const file = await this.files.download(id);
    await reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(file.size))
      .header('expires', httpDate(file.expires))
      .send(file.body);
  }

  @Get('file/:id/info')
  info(@Param('id') id: string): Promise<ServerFileInfo> {
    return this.files.info(id);
  }

  @Post('file/:id/extend')
  @HttpCode(200)
  extend(@Param('id') id: string, @Req() req: FastifyRequest): Promise<ServerFileInfo> {
    return this.files.extend(id, headerValue(req, TTL_HEADER));
  }

  /** Deprecated: `{"file": base64}` → `{"result": id, "status_code": 200}` (an integer in compat-id mode). */
  @Post('files')
  @HttpCode(200)
  async legacyUpload(@JsonBody(legacyUploadSchema) body: z.infer<typeof legacyUploadSchema>): Promise<{ result: string | number; status_code: number }> {
    const { id } = await this.files.upload(Buffer.from(body.file, 'base64'), undefined);
    return { result: this.config.FILE_SERVER_CONTENT_IDS ? id : Number(id), status_code: 200 };
  }

  /** Deprecated: `{"status_code": 200, "result": base64}`. */
  @Get('files/:id')
  async legacyDownload(@Param('id') id: string): Promise<{ status_code: number; result: string }> {
    const file = await this.files.download(id);
    const parts: Buffer[] = [];
    for await (const part of file.body) parts.push(part as Buffer);
    return { status_code: 200, result: Buffer.concat(parts).toString('base64') };
  }
}
