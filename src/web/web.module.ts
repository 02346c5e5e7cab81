import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { FilesModule } from '../files/files.module';
import { RoomsModule } from '../rooms/rooms.module';
import { WebController } from './web.controller';
import { WebService } from './web.service';

/** Public room index and room pages with join URL and QR code (protocol §6.10). */
@Module({
  imports: [RoomsModule, FilesModule],
  controllers: [WebController],
  providers: [WebService],
})
export class WebModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /**
   * Nest registers `/r/:token/` as `/r/:token`; the reference's form with the slash (what old
   * links and QR-less shares point to) is sent there. Fastify keeps the two paths distinct.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.get<{ Params: { token: string } }>('/r/:token/', (req, reply) => reply.redirect(`/r/${encodeURIComponent(req.params.token)}`, 301));
  }
}
