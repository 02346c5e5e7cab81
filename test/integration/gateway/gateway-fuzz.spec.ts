import fc from 'fast-check';
import { bencodeList, bdecodeList, type EncType } from '../../../src/crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { postFrame, sealFrame } from './frames';

// Issue 9 "Done when": random and mutated frames, bencode and X-SOGS-* headers thrown at the
// gateway never produce a 5xx (outer or inner) and never take the server down. Runs are bounded.
const RUNS = 60;
let ctx: TestContext;
let tried = 0;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  // the server must still answer normally after everything above
  expect((await ctx.newUser().get('/capabilities')).code).toBe(200);
  process.stdout.write(`gateway fuzz: ${tried} requests tried, no 5xx\n`);
  await ctx.close();
});

const pubkey = () => ctx.server.serverKey.publicKey;
const PATHS = ['/oxen/v4/lsrpc', '/oxen/v3/lsrpc', '/loki/v3/lsrpc'];

/** Posts a sealed plaintext and returns the inner status (v4) or the decrypted v3 body. */
async function innerCode(plaintext: Uint8Array, encType: EncType, path = '/oxen/v4/lsrpc'): Promise<number> {
  const sealed = sealFrame(pubkey(), plaintext, encType);
  const outer = await postFrame(ctx.url, sealed.frame, path);
  tried++;
  expect(outer.status).toBe(200);
  const encrypted = path === '/oxen/v4/lsrpc' ? outer.body : Buffer.from(outer.body.toString(), 'base64');
  const plain = sealed.open(encrypted);
  expect(plain).not.toBeNull();
  if (path !== '/oxen/v4/lsrpc') {
    const text = Buffer.from(plain!).toString();
    const m = /^\{"status_code":(\d+)\}$/.exec(text);
    return m ? Number(m[1]) : 200;
  }
  const [meta] = bdecodeList(plain!);
  return (JSON.parse(meta.toString()) as { code: number }).code;
}

const encType = fc.constantFrom<EncType>('aes-gcm', 'xchacha20');
const headerName = fc.oneof(
  fc.constantFrom('X-SOGS-Pubkey', 'X-SOGS-Nonce', 'X-SOGS-Timestamp', 'X-SOGS-Signature', 'Content-Type', 'x-sogs-dispatch', 'Content-Length'),
  fc.string(),
);
const endpoint = fc.oneof(
  fc.constantFrom('/capabilities', '/batch', '/sequence', '/inbox', '/rooms', '/room/x/messages/recent?limit=-1', '/oxen/v4/lsrpc', '/%ZZ', '//x', '/\u{1F34D}'),
  fc.string().map((s) => '/' + s),
  fc.string(),
);
const meta = fc.record(
  {
    method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), fc.string()),
    endpoint,
    headers: fc.oneof(fc.dictionary(headerName, fc.oneof(fc.string(), fc.integer(), fc.constant(null))), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

it('random bytes as a frame: outer 400 or 200, never 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(...PATHS), async (bytes, path) => {
      const outer = await postFrame(ctx.url, bytes, path);
      tried++;
      expect([200, 400]).toContain(outer.status);
    }),
    { numRuns: RUNS },
  );
});

it('mutated valid frames: outer 400, or 200 with an inner reply below 500', async () => {
  const plaintext = bencodeList([Buffer.from('{"method":"GET","endpoint":"/capabilities"}')]);
  await fc.assert(
    fc.asyncProperty(
      encType,
      fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
      fc.option(fc.nat()),
      fc.uint8Array({ maxLength: 16 }),
      async (enc, flips, cut, junk) => {
        const sealed = sealFrame(pubkey(), plaintext, enc);
        let frame = Buffer.from(sealed.frame);
        for (const { at, xor } of flips) frame[at % frame.length] ^= xor;
        if (cut !== null) frame = frame.subarray(0, cut % (frame.length + 1));
        frame = Buffer.concat([frame, junk]);
        const outer = await postFrame(ctx.url, frame);
        tried++;
        expect([200, 400]).toContain(outer.status);
      },
    ),
    { numRuns: RUNS },
  );
});

it('random plaintexts and bencode: always an encrypted reply, inner code below 500', async () => {
  const plaintext = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }).map((items) => bencodeList(items)),
    fc
      .tuple(meta, fc.option(fc.uint8Array({ maxLength: 64 })))
      .map(([m, body]) => bencodeList(body === null ? [Buffer.from(JSON.stringify(m))] : [Buffer.from(JSON.stringify(m)), body])),
    fc.tuple(meta, fc.option(fc.string())).map(([m, body]) => Buffer.from(JSON.stringify(body === null ? m : { ...m, body }))),
  );
  await fc.assert(
    fc.asyncProperty(plaintext, encType, fc.constantFrom(...PATHS), async (plain, enc, path) => {
      expect(await innerCode(plain, enc, path)).toBeLessThan(500);
    }),
    { numRuns: RUNS * 2 },
  );
});

it('mutated X-SOGS-* headers on a signed request: a 4xx or success, never 5xx', async () => {
  const alice = ctx.newUser();
  const mutation = fc.record({
    'X-SOGS-Pubkey': fc.option(
      fc.oneof(
        fc.string(),
        fc.tuple(fc.constantFrom(0x00, 0x05, 0x15, 0x25, 0xff), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([p, k]) => Buffer.from([p, ...k]).toString('hex')),
      ),
    ),
    'X-SOGS-Nonce': fc.option(fc.oneof(fc.string(), fc.base64String({ maxLength: 30 }))),
    'X-SOGS-Timestamp': fc.option(fc.oneof(fc.string(), fc.integer().map(String), fc.bigInt().map(String))),
    'X-SOGS-Signature': fc.option(fc.oneof(fc.string(), fc.base64String({ maxLength: 90 }))),
  });
  await fc.assert(
    fc.asyncProperty(mutation, fc.constantFrom('/capabilities', '/batch', '/inbox'), async (m, path) => {
      const method = path === '/batch' ? 'POST' : 'GET';
      const json = method === 'POST' ? [{ method: 'GET', path: '/inbox' }] : undefined;
      const headers = { ...alice.signHeaders(method, path, json ? Buffer.from(JSON.stringify(json)) : undefined) };
      for (const [k, val] of Object.entries(m)) if (val !== null) headers[k] = val;
      // Strings a header cannot carry are the client's problem, not the server's.
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is being excluded
      for (const val of Object.values(headers)) fc.pre(!/[\x00-\x1f\x7f]/.test(val));
      const res = await alice.request({ method, path, json, headers });
      tried++;
      expect(res.outerStatus).toBe(200);
      expect(res.code).toBeLessThan(500);
    }),
    { numRuns: RUNS * 2 },
  );
});

it('random JSON as a signed /batch and /sequence body: 4xx or 200, every sub-reply below 500', async () => {
  const alice = ctx.newUser();
  const sub = fc.record(
    {
      method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), fc.string()),
      path: endpoint,
      headers: fc.oneof(fc.dictionary(headerName, fc.string()), fc.jsonValue()),
      json: fc.jsonValue(),
      b64: fc.oneof(fc.base64String(), fc.string()),
      bytes: fc.string(),
    },
    { requiredKeys: [] },
  );
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.array(sub, { maxLength: 6 }), fc.jsonValue()), fc.constantFrom('/batch', '/sequence'), async (body, path) => {
      const res = await alice.request({ method: 'POST', path, json: body });
      tried++;
      expect(res.code).toBeLessThan(500);
      if (res.code === 200) for (const item of res.json<Array<{ code: number }>>()) expect(item.code).toBeLessThan(500);
    }),
    { numRuns: RUNS },
  );
});
