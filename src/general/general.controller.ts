import { Controller, Get, Header, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { GeneralService } from './general.service';

/** spec §6.1. Batch bodies are validated whole by the service before anything runs. */
@Controller()
export class GeneralController {
  constructor(private readonly general: GeneralService) {}

  @Get('capabilities')
  capabilities(@Query('required') required: string | undefined, @Res() reply: FastifyReply): FastifyReply {
    const result = this.general.capabilitiesFor(typeof required === 'string' ? required : undefined);
    return reply.code(result.missing ? 412 : 200).send(result);
  }

  @Post('batch')
  @HttpCode(200)
  @Header('content-type', 'application/json')
  batch(@Req() req: FastifyRequest, @CurrentUser() user: AuthenticatedUser | null): Promise<Buffer> {
    return this.general.run(req.body, user, 'batch');
  }

  @Post('sequence')
  @HttpCode(200)
  @Header('content-type', 'application/json')
  sequence(@Req() req: FastifyRequest, @CurrentUser() user: AuthenticatedUser | null): Promise<Buffer> {
    return this.general.run(req.body, user, 'sequence');
  }
}
