import { BadRequestException } from '@nestjs/common';
import { parseMultipart } from '../../../src/console/multipart';

// The console's image upload form: multipart/form-data as browsers send it (RFC 7578).

const boundary = '----WebKitFormBoundaryx7Ab3';
const type = `multipart/form-data; boundary=${boundary}`;

function body(parts: Array<{ name: string; filename?: string; data: Buffer | string }>): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.filename === undefined ? '' : 'Content-Type: image/png\r\n'}\r\n`));
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

describe('parseMultipart', () => {
  test('text fields and a file with CRLF and boundary-like bytes inside come back exactly', () => {
    const file = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]), Buffer.from(`\r\n--${boundary.slice(0, -1)}\r\n`), Buffer.alloc(300, 7)]);
    const parts = parseMultipart(
      body([
        { name: '_csrf', data: 'tok' },
        { name: 'image', filename: 'a b.png', data: file },
      ]),
      type,
    );
    expect(parts.get('_csrf')).toEqual({ filename: null, data: Buffer.from('tok') });
    expect(parts.get('image')!.filename).toBe('a b.png');
    expect(parts.get('image')!.data.equals(file)).toBe(true);
  });

  test('a quoted boundary and an empty file field are read', () => {
    const parts = parseMultipart(body([{ name: 'image', filename: '', data: '' }]), `multipart/form-data; boundary="${boundary}"`);
    expect(parts.get('image')).toEqual({ filename: '', data: Buffer.alloc(0) });
  });

  test.each([
    ['no boundary parameter', body([{ name: 'a', data: 'x' }]), 'multipart/form-data'],
    ['another boundary', body([{ name: 'a', data: 'x' }]), 'multipart/form-data; boundary=other'],
    ['a part that never ends', Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nxyz`), type],
    ['a part without a name', Buffer.from(`--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${boundary}--`), type],
    ['too many parts', body(Array.from({ length: 17 }, (_, i) => ({ name: `f${i}`, data: 'x' }))), type],
  ])('%s is a 400', (_name, bytes, contentType) => {
    expect(() => parseMultipart(bytes, contentType)).toThrow(BadRequestException);
  });
});
