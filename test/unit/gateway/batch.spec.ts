import { BadRequestException } from '@nestjs/common';
import fc from 'fast-check';
import { encodeBatchResponse, parseBatch, plainSubRequest, subRequestSchema } from '../../../src/api/batch';
import type { InnerResponse } from '../../../src/api/inner-request';

// protocol §6.1: the whole batch is validated before anything runs.
describe('batch parsing (protocol §6.1)', () => {
  it('builds sub-requests: json compact with JSON type, b64 decoded, bytes as UTF-8, octet-stream unless given', () => {
    const reqs = parseBatch(
      [
        { method: 'GET', path: '/capabilities?required=sogs' },
        { method: 'POST', path: '/a', json: { x: [1, 2] } },
        { method: 'PUT', path: '/b', b64: 'aGVsbG8' },
        { method: 'POST', path: '/c', bytes: 'hé', headers: { 'Content-Type': 'text/plain' } },
        { method: 'POST', path: '/d', json: null },
      ],
      128,
    );
    expect(reqs[0]).toEqual({ method: 'GET', target: '/capabilities?required=sogs', headers: {}, body: undefined });
    expect(reqs[1].body!.toString()).toBe('{"x":[1,2]}');
    expect(reqs[1].headers['content-type']).toBe('application/json');
    expect(reqs[2].body!.toString()).toBe('hello');
    expect(reqs[2].headers['content-type']).toBe('application/octet-stream');
    expect(reqs[3].body!.toString()).toBe('hé');
    expect(reqs[3].headers['content-type']).toBe('text/plain');
    expect(reqs[4].body!.toString()).toBe('null');
  });

  it.each([
    ['a non-list body', { method: 'GET', path: '/' }],
    ['a non-object element', ['GET /']],
    ['a missing method', [{ path: '/' }]],
    ['a missing path', [{ method: 'GET' }]],
    ['an unknown method', [{ method: 'PATCH', path: '/' }]],
    ['a path without /', [{ method: 'GET', path: 'x' }]],
    ['non-string headers', [{ method: 'GET', path: '/', headers: { a: 1 } }]],
    ['POST without a body', [{ method: 'POST', path: '/' }]],
    ['POST with two bodies', [{ method: 'POST', path: '/', json: {}, bytes: '' }]],
    ['GET with a body', [{ method: 'GET', path: '/', json: {} }]],
    ['DELETE with a null json', [{ method: 'DELETE', path: '/', json: null }]],
    ['invalid base64', [{ method: 'POST', path: '/', b64: '***' }]],
    ['one bad element after good ones', [{ method: 'GET', path: '/' }, { method: 'GET', path: '/' }, { method: 'GET' }]],
  ])('refuses %s with 400', (_what, body) => {
    expect(() => parseBatch(body, 128)).toThrow(BadRequestException);
  });

  it('refuses more requests than the limit', () => {
    const reqs = Array.from({ length: 4 }, () => ({ method: 'GET', path: '/' }));
    expect(parseBatch(reqs, 4)).toHaveLength(4);
    expect(() => parseBatch(reqs, 3)).toThrow('4 requests exceed the limit of 3');
  });
});

describe('the hand-checked sub-request (the poll path)', () => {
  const field = <T>(...values: T[]) => fc.constantFrom(...values);
  const element = fc.record(
    {
      method: field<unknown>('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'get', 1, null),
      path: field<unknown>('/', '/room/a/messages/since/5?t=r', 'x', '/a\n', '', 7),
      headers: field<unknown>(undefined, {}, { 'X-A': 'b' }, { a: 1 }, null, [], 'h'),
      json: field<unknown>(undefined, null, {}, [1]),
      b64: field<unknown>(undefined, 'aGk', 3),
      bytes: field<unknown>(undefined, 'hi', false),
    },
    { requiredKeys: [] },
  );

  it('is taken only for what the schema accepts, and as the schema reads it', () => {
    fc.assert(
      fc.property(fc.oneof(element, field<unknown>(null, 'GET /', [], 5)), (raw) => {
        const plain = plainSubRequest(raw);
        const parsed = subRequestSchema.safeParse(raw);
        if (plain === null) return;
        expect(parsed.success).toBe(true);
        const { method, path, headers, b64, bytes } = parsed.data!;
        expect({ method: plain.method, path: plain.path, headers: plain.headers, b64: plain.b64, bytes: plain.bytes }).toEqual({ method, path, headers, b64, bytes });
      }),
      { numRuns: 2000 },
    );
  });

  it('is taken for the elements of a poll', () => {
    expect(plainSubRequest({ method: 'GET', path: '/room/lobby/pollInfo/3' })).not.toBeNull();
    expect(plainSubRequest({ method: 'GET', path: '/inbox/since/0', headers: { Accept: 'application/json' } })).not.toBeNull();
  });
});

describe('batch response (protocol §6.1)', () => {
  it('splices JSON bodies and base64-encodes everything else', () => {
    const out = encodeBatchResponse([
      { code: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a": [1]}') },
      { code: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from('Not found') },
      { code: 204, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) },
    ]);
    expect(JSON.parse(out.toString())).toEqual([
      { code: 200, headers: { 'content-type': 'application/json' }, body: { a: [1] } },
      { code: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from('Not found').toString('base64') },
      { code: 204, headers: { 'content-type': 'application/json' }, body: null },
    ]);
    expect(encodeBatchResponse([]).toString()).toBe('[]');
  });

  it('writes each sub-reply head as JSON.stringify would, whatever its headers', () => {
    const replies: InnerResponse[] = [
      { code: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('[]') },
      { code: 429, headers: { 'content-type': 'application/json', 'retry-after': '3' }, body: Buffer.from('{"x":1}') },
      { code: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"b":2}') },
      { code: 503, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: Buffer.from('1') },
      { code: 201, headers: { 'content-type': 'application/json' }, body: Buffer.from('"y"') },
    ];
    const expected = `[${replies.map((r) => `{"code":${r.code},"headers":${JSON.stringify(r.headers)},"body":${r.body.toString()}}`).join(',')}]`;
    // Twice: the second time the common heads come from the cache.
    expect(encodeBatchResponse(replies).toString()).toBe(expected);
    expect(encodeBatchResponse(replies).toString()).toBe(expected);
  });
});
