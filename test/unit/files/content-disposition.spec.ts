import { contentDispositionFor, filenameFromContentDisposition, httpDate } from '../../../src/files/content-disposition';

describe('Content-Disposition (protocol §6.6)', () => {
  it.each([
    [undefined, null],
    ['attachment', null],
    ['attachment; filename=""', null],
    ['attachment; filename="a b.txt"', 'a b.txt'],
    ['attachment; filename=plain.txt', 'plain.txt'],
    ['attachment; filename="q\\"uote;d"', 'q"uote;d'],
    ["attachment; filename*=UTF-8''%E2%9C%93%20ok", '✓ ok'],
    ["attachment; filename*=utf-8'en'caf%C3%A9", 'café'],
    ["attachment; filename*=ISO-8859-1''caf%E9", 'café'],
    ['attachment; filename="fallback.txt"; filename*=UTF-8\'\'%F0%9F%98%80', '😀'],
    ['attachment; filename="fallback.txt"; filename*=bogus', 'fallback.txt'],
    ['attachment; filename="a/b\u0000c"', 'a\uFFFDb\uFFFDc'],
    ["attachment; filename*=UTF-8''..%2F..%2Fx", '..\uFFFD..\uFFFDx'],
  ])('parses %j as %j', (header, expected) => {
    expect(filenameFromContentDisposition(header)).toBe(expected);
  });

  it('encodes downloads leaving only A–Z a–z 0–9 _ . - ~ bare, uppercase hex', () => {
    expect(contentDispositionFor(null)).toBe('attachment');
    expect(contentDispositionFor('Az09_.-~')).toBe("attachment; filename*=UTF-8''Az09_.-~");
    expect(contentDispositionFor('a b+ü\uFFFD')).toBe("attachment; filename*=UTF-8''a%20b%2B%C3%BC%EF%BF%BD");
  });

  it('formats HTTP dates of float unix seconds', () => {
    expect(httpDate(1_700_000_000.75)).toBe('Tue, 14 Nov 2023 22:13:20 GMT');
  });
});
