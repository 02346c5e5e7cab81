import { BadRequestException } from '@nestjs/common';

/** One part of a multipart/form-data body: a field's text or a file's bytes. */
export interface FormPart {
  filename: string | null;
  data: Buffer;
}

/** More parts than any console form has means a malformed or hostile body. */
const MAX_PARTS = 16;

/**
 * Splits a whole multipart/form-data body (RFC 7578) into its named parts. The console's one
 * upload form (a room image plus its CSRF token) needs no streaming: the body is bounded by the
 * route's body limit before it gets here.
 */
export function parseMultipart(body: Buffer, contentType: string): Map<string, FormPart> {
  const match = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  if (!match) throw new BadRequestException('multipart/form-data without a boundary');
  const delimiter = Buffer.from(`--${match[1] ?? match[2]}`);
  const parts = new Map<string, FormPart>();
  let at = body.indexOf(delimiter);
  if (at < 0) throw new BadRequestException('Malformed multipart body: no boundary');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') return parts;
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n' || parts.size >= MAX_PARTS) throw new BadRequestException('Malformed multipart body');
    const headersEnd = body.indexOf('\r\n\r\n', at + 2);
    const next = headersEnd < 0 ? -1 : body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) throw new BadRequestException('Malformed multipart body: a part does not end');
    const headers = body.subarray(at + 2, headersEnd).toString('utf8');
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw new BadRequestException('Malformed multipart body: a part has no name');
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? null;
    parts.set(name, { filename, data: body.subarray(headersEnd + 4, next) });
    at = next + 2;
  }
}
