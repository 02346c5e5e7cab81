import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { SogsClient } from '../../../src/client';
import { createLogger } from '../../../src/logging/logger';
import { startServer, type RunningServer } from '../../../src/server';
import { fileServerContentId } from '../../../src/crypto/content-id';
import type { AppConfig } from '../../../src/config/config';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { patternBytes, StoredObjects } from './stored-objects';

const DAY = 86400;

describe.each(['fs', 's3'] as const)('file server API (protocol §12) on the %s driver', (driver) => {
  let ctx: TestContext;
  const start = async (config: Partial<AppConfig> = {}) => {
    ctx = await createTestContext({ config: { STORAGE_DRIVER: driver, FILE_SERVER_MAX_SIZE: 100_000, ...config } });
    return ctx;
  };
  afterEach(async () => {
    await ctx?.close();
  });

  it('uploads, downloads byte-equal with Expires, reports info, and stores only ciphertext', async () => {
    await start();
    const client = ctx.anon();
    const content = patternBytes(70_000);
    const before = Date.now() / 1000;
    const up = await client.request({ method: 'POST', path: '/file', body: content });
    expect(up.code).toBe(200);
    const { id, expires } = up.json<{ id: string; expires: number }>();
    expect(id).toBe(fileServerContentId(content));
    expect(id).toHaveLength(44);
    expect(expires).toBeGreaterThanOrEqual(before + 21 * DAY - 1);
    expect(expires).toBeLessThanOrEqual(Date.now() / 1000 + 21 * DAY + 1);

    const down = await client.get(`/file/${id}`);
    expect(down.code).toBe(200);
    expect(down.headers['content-type']).toBe('application/octet-stream');
    expect(down.headers.expires).toBe(new Date(Math.floor(expires) * 1000).toUTCString());
    expect(down.body.equals(content)).toBe(true);

    const info = await client.get(`/file/${id}/info`);
    expect(info.code).toBe(200);
    const body = info.json<{ size: number; uploaded: number; expires: number }>();
    expect(body.size).toBe(content.length);
    expect(body.expires).toBeCloseTo(expires, 3);
    expect(body.uploaded).toBeGreaterThanOrEqual(before - 1);

    const row = await ctx.prisma.serverFile.findUniqueOrThrow({ where: { id }, include: { object: true } });
    const stored = await new StoredObjects(ctx.config).read(row.objectKey);
    expect(stored).not.toBeNull();
    expect(stored!.length).toBeGreaterThan(content.length);
    expect(stored!.includes(content.subarray(0, 64))).toBe(false);
    expect(stored!.includes(content.subarray(40_000, 40_064))).toBe(false);
  });

  it('answers 413 {"status_code": 413} for an empty body and for FILE_SERVER_MAX_SIZE + 1 bytes', async () => {
    await start();
    const client = ctx.anon();
    const ok = await client.request({ method: 'POST', path: '/file', body: randomBytes(100_000) });
    expect(ok.code).toBe(200);
    for (const body of [Buffer.alloc(0), randomBytes(100_001)]) {
      const res = await client.request({ method: 'POST', path: '/file', body });
      expect(res.code).toBe(413);
      expect(res.json()).toEqual({ status_code: 413 });
    }
  });

  it('answers 404 {"status_code": 404} for unknown ids on download, info and extend', async () => {
    await start();
    const client = ctx.anon();
    const unknown = fileServerContentId(randomBytes(10));
    for (const res of [await client.get(`/file/${unknown}`), await client.get(`/file/${unknown}/info`), await client.post(`/file/${unknown}/extend`, undefined)]) {
      expect(res.code).toBe(404);
      expect(res.json()).toEqual({ status_code: 404 });
    }
  });

  it('stores identical content once: the same content id, uploaded = now, expiry = max', async () => {
    await start({ FILE_SERVER_MAX_TTL: 30 * DAY });
    const client = ctx.anon();
    const content = randomBytes(5000);
    const first = (await client.request({ method: 'POST', path: '/file', body: content })).json<{ id: string; expires: number }>();
    const shorter = await client.request({ method: 'POST', path: '/file', body: content, headers: { 'X-FS-TTL': '60' } });
    expect(shorter.code).toBe(200);
    expect(shorter.json<{ id: string; expires: number }>()).toEqual({ id: first.id, expires: first.expires });
    const longer = (await client.request({ method: 'POST', path: '/file', body: content, headers: { 'X-FS-TTL': String(30 * DAY) } })).json<{ id: string; expires: number }>();
    expect(longer.id).toBe(first.id);
    expect(longer.expires).toBeGreaterThan(first.expires + 8 * DAY);
    expect(await ctx.prisma.storageObject.count()).toBe(1);
    expect(await new StoredObjects(ctx.config).keys()).toHaveLength(1);
  });

  it('honours X-FS-TTL up to FILE_SERVER_MAX_TTL, rejects bad values with 400, and extends without shortening', async () => {
    await start({ FILE_SERVER_MAX_TTL: 7 * DAY });
    const client = ctx.anon();
    const now = Date.now() / 1000;
    const up = await client.request({ method: 'POST', path: '/file', body: randomBytes(100), headers: { 'X-FS-TTL': '3600' } });
    const { id, expires } = up.json<{ id: string; expires: number }>();
    expect(expires).toBeGreaterThanOrEqual(now + 3599);
    expect(expires).toBeLessThan(now + 3700);
    for (const ttl of ['abc', '-5', String(7 * DAY + 1), '1.5']) {
      const bad = await client.request({ method: 'POST', path: '/file', body: randomBytes(100), headers: { 'X-FS-TTL': ttl } });
      expect(bad.code).toBe(400);
      expect(bad.json()).toEqual({ status_code: 400 });
    }
    const extended = await client.request({ method: 'POST', path: `/file/${id}/extend`, headers: { 'X-FS-TTL': String(2 * DAY) } });
    expect(extended.code).toBe(200);
    const info = extended.json<{ size: number; uploaded: number; expires: number }>();
    expect(info.size).toBe(100);
    expect(info.expires).toBeGreaterThanOrEqual(now + 2 * DAY - 1);
    const notShorter = await client.request({ method: 'POST', path: `/file/${id}/extend`, headers: { 'X-FS-TTL': '10' } });
    expect(notShorter.json<{ expires: number }>().expires).toBeCloseTo(info.expires, 3);
    // Without the header, extend uses the default expiry.
    const byDefault = await client.request({ method: 'POST', path: `/file/${id}/extend` });
    expect(byDefault.json<{ expires: number }>().expires).toBeCloseTo(Date.now() / 1000 + 21 * DAY, -1);
  });

  it('ignores X-FS-TTL when FILE_SERVER_MAX_TTL is 0', async () => {
    await start({ FILE_SERVER_MAX_TTL: 0 });
    const res = await ctx.anon().request({ method: 'POST', path: '/file', body: randomBytes(100), headers: { 'X-FS-TTL': 'nonsense' } });
    expect(res.code).toBe(200);
    expect(res.json<{ expires: number }>().expires).toBeGreaterThan(Date.now() / 1000 + 20 * DAY);
  });

  it('expires a file: 404 at its expiry, then the job removes the row and the object', async () => {
    await start({ FILE_SERVER_MAX_TTL: 60 });
    const client = ctx.anon();
    const up = await client.request({ method: 'POST', path: '/file', body: randomBytes(1000), headers: { 'X-FS-TTL': '1' } });
    const { id } = up.json<{ id: string }>();
    const { objectKey } = await ctx.prisma.serverFile.findUniqueOrThrow({ where: { id } });
    const stored = new StoredObjects(ctx.config);
    expect(await stored.read(objectKey)).not.toBeNull();
    ctx.clock.advance(1100);
    expect((await client.get(`/file/${id}`)).code).toBe(404);
    expect((await client.get(`/file/${id}/info`)).code).toBe(404);
    // The object is deleted from storage before its row (object-store collect): wait for both.
    await eventually(
      async () => (await ctx.prisma.serverFile.count({ where: { id } })) === 0 && (await stored.read(objectKey)) === null && (await ctx.prisma.storageObject.count()) === 0,
      10_000,
      'the expiry job',
    );
  });

  it('compat ids: random integer ids as strings, not extendable; deprecated /files routes', async () => {
    await start({ FILE_SERVER_CONTENT_IDS: false });
    const client = ctx.anon();
    const content = randomBytes(3000);
    const up = await client.request({ method: 'POST', path: '/file', body: content });
    const { id } = up.json<{ id: string }>();
    expect(id).toMatch(/^\d+$/);
    expect(Number(id)).toBeLessThan(2 ** 53);
    const again = await client.request({ method: 'POST', path: '/file', body: content });
    expect(again.json<{ id: string }>().id).not.toBe(id);
    expect((await client.get(`/file/${id}`)).body.equals(content)).toBe(true);
    expect((await client.post(`/file/${id}/extend`, undefined)).code).toBe(404);

    const legacy = await client.post('/files', { file: content.toString('base64') });
    expect(legacy.code).toBe(200);
    const result = legacy.json<{ result: number; status_code: number }>();
    expect(result.status_code).toBe(200);
    expect(typeof result.result).toBe('number');
    const fetched = await client.get(`/files/${result.result}`);
    expect(fetched.json()).toEqual({ status_code: 200, result: content.toString('base64') });
    const missing = await client.post('/files', { nope: 1 });
    expect(missing.code).toBe(400);
    expect(missing.json()).toEqual({ status_code: 400 });
  });
});

describe('file-server ids that no id can be (issue 19 item 10)', () => {
  let ctx: TestContext;
  let server: RunningServer;
  const lines: string[] = [];
  beforeAll(async () => {
    ctx = await createTestContext();
    const out = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)), done()) });
    server = await startServer({ ...ctx.config, LOG_LEVEL: 'info' }, { logger: createLogger({ LOG_LEVEL: 'info' }, out) });
  });
  afterAll(async () => {
    await server?.close();
    await ctx?.close();
  });

  it('a NUL (or any character outside an id) answers 400 on download, info, extend and /files, and logs no error', async () => {
    const client = new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey });
    const nul44 = `${'A'.repeat(43)}%00`;
    const codes = [];
    for (const path of ['/file/%00', '/file/%00/info', '/files/%00', '/file/a%20b', '/file/..%2Fx']) codes.push([path, (await client.get(path)).code]);
    codes.push([`POST /file/${nul44}/extend`, (await client.post(`/file/${nul44}/extend`, undefined)).code]);
    expect(codes).toEqual(codes.map(([path]) => [path, 400]));
    const errors = lines.map((l) => JSON.parse(l) as { level: number; msg?: string }).filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });
});
