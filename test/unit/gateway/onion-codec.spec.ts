import { bencodeList } from '../../../src/crypto';
import { decodeV4Reply, encodeV4Reply } from '../../../src/api/inner-request';
import { decodeV3Request, decodeV4Request, INVALID_V4_REPLY, v3ReplyBody } from '../../../src/onion-gateway/onion-codec';

import { section } from '../crypto/vectors';

const examples = section<Record<string, string>>('v4_bencode_examples');
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const v4 = (meta: unknown, body?: string) => bencodeList(body === undefined ? [utf8(JSON.stringify(meta))] : [utf8(JSON.stringify(meta)), utf8(body)]);
const decode4 = (b: Uint8Array) => decodeV4Request(b);
const decode3 = (o: unknown) => decodeV3Request(utf8(typeof o === 'string' ? o : JSON.stringify(o)));

describe('v4 inner request (protocol §4.4)', () => {
  it('decodes the reference GET and POST examples', () => {
    expect(decode4(utf8(examples.request_get_utf8))).toEqual({
      method: 'GET',
      target: '/room/some-room',
      headers: { 'some-header': '12345', 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(0),
    });
    const post = decode4(utf8(examples.request_post_utf8))!;
    expect(post.body!.toString()).toBe('post body here');
    expect(post.headers).toEqual({ 'some-header': 'a', 'content-type': 'application/octet-stream' });
  });

  it('keeps the client content type and the endpoint exactly as written (query, raw UTF-8)', () => {
    const req = decode4(v4({ method: 'PUT', endpoint: '/room/x/reaction/1/🍍?a=b c', headers: { 'Content-Type': 'application/json' } }, ''))!;
    expect(req.target).toBe('/room/x/reaction/1/🍍?a=b c');
    expect(req.headers['content-type']).toBe('application/json');
  });

  it('drops framing headers', () => {
    const req = decode4(v4({ method: 'GET', endpoint: '/x', headers: { 'Content-Length': '5', Host: 'h' } }))!;
    expect(Object.keys(req.headers)).toEqual(['content-type']);
  });

  it.each([
    ['not bencode', utf8('{"method":"GET"}')],
    ['an empty list', utf8('le')],
    ['three strings', bencodeList([utf8('{"method":"GET","endpoint":"/"}'), utf8(''), utf8('')])],
    ['meta not JSON', bencodeList([utf8('nope')])],
    ['meta a JSON array', v4(['GET', '/'])],
    ['an unknown method', v4({ method: 'PATCH', endpoint: '/x' })],
    ['an endpoint without /', v4({ method: 'GET', endpoint: 'room/x' })],
    ['an endpoint with a newline', v4({ method: 'GET', endpoint: '/x\ny' })],
    ['no endpoint', v4({ method: 'GET' })],
    ['a non-string header', v4({ method: 'GET', endpoint: '/x', headers: { a: 1 } })],
    ['headers as a list', v4({ method: 'GET', endpoint: '/x', headers: ['a'] })],
    ['a bad header name', v4({ method: 'GET', endpoint: '/x', headers: { 'a b': 'c' } })],
    ['invalid UTF-8 meta', bencodeList([Buffer.from([0x7b, 0xff, 0x7d])])],
  ])('refuses %s', (_what, plaintext) => {
    expect(decode4(plaintext)).toBeNull();
  });
});

describe('v4 reply (protocol §4.5)', () => {
  it('encodes the reference JSON reply byte for byte', () => {
    const reply = encodeV4Reply({ code: 200, headers: { 'content-type': 'application/json' }, body: utf8('{"id": 123}') });
    expect(reply.toString()).toBe(examples.response_json_utf8);
    expect(decodeV4Reply(reply)).toEqual({ code: 200, headers: { 'content-type': 'application/json' }, body: utf8('{"id": 123}') });
  });

  it('has the exact invalid-request reply', () => {
    expect(INVALID_V4_REPLY.toString()).toBe('l67:{"code":400,"headers":{"content-type":"text/plain; charset=utf-8"}}24:Invalid v4 onion requeste');
  });
});

describe('v3 inner request (protocol §4.6)', () => {
  it('forces JSON content type and lower-cases headers', () => {
    expect(decode3({ method: 'POST', endpoint: '/batch', headers: { 'X-SOGS-Nonce': 'n', 'Content-Type': 'text/plain' }, body: '[]' })).toEqual({
      method: 'POST',
      target: '/batch',
      headers: { 'x-sogs-nonce': 'n', 'content-type': 'application/json' },
      body: utf8('[]'),
    });
  });

  it('tolerates "" and the literal "null" as a GET body and refuses any other', () => {
    expect(decode3({ method: 'GET', endpoint: '/x', body: 'null' })!.body).toBeUndefined();
    expect(decode3({ method: 'GET', endpoint: '/x', body: '' })).not.toBeNull();
    expect(decode3({ method: 'GET', endpoint: '/x', body: 'x' })).toBeNull();
    expect(decode3({ method: 'POST', endpoint: '/x', body: 5 })).toBeNull();
  });

  it('routes an endpoint without a leading / to /legacy/ with auth_code as Authorization', () => {
    const req = decode3({ method: 'GET', endpoint: 'rooms', auth_code: 'tok' })!;
    expect(req.target).toBe('/legacy/rooms');
    expect(req.headers.authorization).toBe('tok');
  });

  it('refuses plaintext that is not a JSON object', () => {
    expect(decode3('[1]')).toBeNull();
    expect(decode3(' {"method":"GET","endpoint":"/"}')).toBeNull();
  });

  it('replies with the body on 2xx and {"status_code": N} otherwise', () => {
    expect(v3ReplyBody(201, utf8('{"a":1}')).toString()).toBe('{"a":1}');
    expect(v3ReplyBody(404, utf8('nope')).toString()).toBe('{"status_code":404}');
  });
});
