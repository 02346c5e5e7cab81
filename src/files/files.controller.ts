import { Controller, Get, HttpCode, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, UserRequired } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import type { Room } from '../generated/prisma/client';
import { RoomPermission } from '../rooms/room-permission.guard';
import { contentDispositionFor, httpDate } from './content-disposition';
import { FilesService } from './files.service';
import { FILE_NOT_FOUND } from './object-store.service';
import { headerValue, rawBody } from './request-body';

/** A file id in a path; anything else names no file (404). */
function fileIdParam(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2 ** 31 - 1) throw new NotFoundException(FILE_NOT_FOUND);
  return Number(value);
}

/** Room attachments (spec §6.6). */
@Controller('room/:token/file')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  /** Raw bytes in, 201 `{"id": n}` out; needs write and upload (spec §6.6). */
  @Post()
  @HttpCode(201)
  @UserRequired()
  @RoomPermission('upload')
  async upload(@Req() req: FastifyRequest, @CurrentUser() user: AuthenticatedUser): Promise<{ id: number }> {
    const room = req.room as Room;
    return { id: await this.files.upload(room.id, user, rawBody(req), headerValue(req, 'content-disposition')) };
  }

  @Get(':fileId')
  @RoomPermission('read')
  download(@Req() req: FastifyRequest, @Param('fileId') fileId: string, @Res() reply: FastifyReply): Promise<void> {
    return this.send(req.room as Room, fileId, reply);
  }

  /** The filename suffix is only for the client's convenience and is ignored (spec §6.6). */
  @Get(':fileId/:filename')
  @RoomPermission('read')
  downloadNamed(@Req() req: FastifyRequest, @Param('fileId') fileId: string, @Res() reply: FastifyReply): Promise<void> {
    return this.send(req.room as Room, fileId, reply);
  }

  /** Headers exactly as spec §6.6: Date is the upload time, Expires only for expiring files. */
  private async send(room: Room, fileId: string, reply: FastifyReply): Promise<void> {
    const file = await this.files.download(room.id, fileIdParam(fileId));
    reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(file.size))
      .header('content-disposition', contentDispositionFor(file.filename))
      .header('date', httpDate(file.uploaded));
    if (file.expiry !== null) reply.header('expires', httpDate(file.expiry));
    await reply.send(file.body);
  }
}
