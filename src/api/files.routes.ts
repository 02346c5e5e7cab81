import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { readAll } from '../core/read-stream';
import { contentDispositionFor, httpDate } from '../files/content-disposition';
import { FileServerService } from '../files/file-server.service';
import { FilesService } from '../files/files.service';
import { FILE_NOT_FOUND } from '../files/object-store.service';
import type { Room } from '../generated/prisma/client';
import { RoomLimits } from '../rooms/room-limits';
import { InnerReply, route, type InnerRoute, type RouteRequest, type RouteSource } from './route';

const TTL_HEADER = 'x-fs-ttl';

/** A file id in a path; anything else names no file (404). */
function fileIdParam(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2 ** 31 - 1) throw new NotFoundException(FILE_NOT_FOUND);
  return Number(value);
}

/** protocol §12.5: the deprecated JSON upload (base64 of at most 8,000,000 characters). */
const legacyUploadSchema = z.object({
  file: z
    .string()
    .max(8_000_000)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
});

/** Room attachments (protocol §6.6) and the Session file server (protocol §12). */
@Injectable()
export class FilesRoutes implements RouteSource {
  constructor(
    private readonly files: FilesService,
    private readonly fileServer: FileServerService,
    private readonly limits: RoomLimits,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  routes(): InnerRoute[] {
    const download = (path: string) =>
      route({ method: 'GET', path, room: 'read', handle: ({ access, params }: RouteRequest<'optional', 'read'>) => this.roomFile(access.room, params.fileId) });
    // The file server is anonymous and answers errors as {"status_code": N} (protocol §12).
    const fs = { errors: 'status-json' } as const;
    return [
      // Raw bytes in, 201 {"id": n} out; needs write and upload (protocol §6.6).
      route({
        method: 'POST',
        path: '/room/:token/file',
        auth: 'user',
        room: 'upload',
        status: 201,
        handle: async ({ access, user, rawBody, headers }) => ({
          id: await this.files.upload(access.room, user, rawBody, headers['content-disposition'], this.limits.uploadTakes(access.room, access.permissions, user, rawBody.length)),
        }),
      }),
      download('/room/:token/file/:fileId'),
      // The filename suffix is only for the client's convenience and is ignored (protocol §6.6).
      download('/room/:token/file/:fileId/:filename'),

      route({ ...fs, method: 'POST', path: '/file', handle: ({ rawBody, headers }) => this.fileServer.upload(rawBody, headers[TTL_HEADER]) }),
      route({
        ...fs,
        method: 'GET',
        path: '/file/:id',
        handle: async ({ params }) => {
          const file = await this.fileServer.download(params.id);
          return InnerReply.bytes({ 'content-type': 'application/octet-stream', expires: httpDate(file.expires) }, await readAll(file.body));
        },
      }),
      route({ ...fs, method: 'GET', path: '/file/:id/info', handle: ({ params }) => this.fileServer.info(params.id) }),
      route({ ...fs, method: 'POST', path: '/file/:id/extend', handle: ({ params, headers }) => this.fileServer.extend(params.id, headers[TTL_HEADER]) }),
      // Deprecated: {"file": base64} → {"result": id, "status_code": 200} (an integer in compat-id mode).
      route({
        ...fs,
        method: 'POST',
        path: '/files',
        body: legacyUploadSchema,
        handle: async ({ body }) => {
          const { id } = await this.fileServer.upload(Buffer.from(body.file, 'base64'), undefined);
          return { result: this.config.FILE_SERVER_CONTENT_IDS ? id : Number(id), status_code: 200 };
        },
      }),
      // Deprecated: {"status_code": 200, "result": base64}.
      route({
        ...fs,
        method: 'GET',
        path: '/files/:id',
        handle: async ({ params }) => {
          const file = await this.fileServer.download(params.id);
          return { status_code: 200, result: (await readAll(file.body)).toString('base64') };
        },
      }),
    ];
  }

  /** Headers exactly as protocol §6.6: Date is the upload time, Expires only for expiring files. */
  private async roomFile(room: Room, fileId: string): Promise<InnerReply> {
    const file = await this.files.download(room.id, fileIdParam(fileId));
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-disposition': contentDispositionFor(file.filename),
      date: httpDate(file.uploaded),
    };
    if (file.expiry !== null) headers.expires = httpDate(file.expiry);
    return InnerReply.bytes(headers, await readAll(file.body));
  }
}
