import { Controller, ForbiddenException, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { imageContentType } from '../files/image-type';
import { COPY_JS, FAVICON_SVG, STYLE_CSS } from './assets';
import { qrPng, qrSvg } from './qr';
import { indexPage, noSuchRoomPage, roomPage, setupPage } from './views';
import { WebService } from './web.service';

/**
 * No inline script or style, nothing from other origins: the copy script and stylesheet are
 * served from /static; images are the room image and the QR PNG from this server.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function secure(reply: FastifyReply, type: string, cache = 'no-cache'): FastifyReply {
  return reply
    .type(type)
    .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Frame-Options', 'DENY')
    .header('Cache-Control', cache);
}

/** The public, read-only web page (protocol §6.10): reached directly, not through the onion gateway. */
@Controller()
export class WebController {
  constructor(private readonly web: WebService) {}

  @Get('/')
  async index(@Res() reply: FastifyReply): Promise<void> {
    if (!this.web.showIndex) throw new ForbiddenException('The room index is disabled on this server');
    const rooms = await this.web.publicRooms();
    await secure(reply, 'text/html; charset=utf-8').send(rooms.length ? indexPage(rooms) : setupPage());
  }

  /** GET /r/:token/ (protocol §6.10; Nest drops the trailing slash, see WebModule for the exact form). */
  @Get('/r/:token')
  async room(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const page = await this.web.roomPage(token);
    if (!page) {
      await secure(reply.code(404), 'text/html; charset=utf-8').send(noSuchRoomPage(this.web.showIndex));
      return;
    }
    const svg = await qrSvg(page.joinUrl);
    await secure(reply, 'text/html; charset=utf-8').send(roomPage(page.room, page.joinUrl, svg, page.messages, this.web.showIndex));
  }

  @Get('/r/:token/invite.png')
  async invite(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const page = await this.web.roomPage(token);
    if (!page) throw new NotFoundException('No such room');
    await secure(reply, 'image/png', 'public, max-age=300').send(qrPng(page.joinUrl));
  }

  @Get('/r/:token/image')
  async image(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const file = await this.web.roomImage(token);
    if (!file) throw new NotFoundException('No room image');
    const chunks: Buffer[] = [];
    for await (const chunk of file.body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    // Only a recognised image type is labelled as one; anything else stays opaque bytes (nosniff).
    await secure(reply, imageContentType(bytes), 'public, max-age=300').header('Content-Disposition', 'inline').send(bytes);
  }

  @Get('/static/style.css')
  async style(@Res() reply: FastifyReply): Promise<void> {
    await secure(reply, 'text/css; charset=utf-8', 'public, max-age=3600').send(STYLE_CSS);
  }

  @Get('/static/favicon.svg')
  async favicon(@Res() reply: FastifyReply): Promise<void> {
    await secure(reply, 'image/svg+xml', 'public, max-age=86400').send(FAVICON_SVG);
  }

  @Get('/static/copy.js')
  async copyScript(@Res() reply: FastifyReply): Promise<void> {
    await secure(reply, 'text/javascript; charset=utf-8', 'public, max-age=3600').send(COPY_JS);
  }
}
