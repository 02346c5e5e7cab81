// Conformance (black box, onion requests only): protocol §6.6 room files (ids are JSON numbers, 201,
// download headers, 413, 406 for a foreign room image, expiry via attach) and §12 file server (ids
// are strings, 200, JSON {"status_code"} errors).
import { randomBytes } from 'node:crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, messageBody } from '../../support/rooms-fixtures';
import { cliGrant, dGet, expectTimestamp, jsonOf, keysOf } from '../desktop';
import type { SogsClient } from '../../../src/client';

export function filesSuite(): void {
  describe('protocol §6.6/§12 files', () => {
    let ctx: TestContext;
    let admin: SogsClient, alice: SogsClient;
    const MAX = 4096;

    beforeAll(async () => {
      ctx = await createTestContext({ config: { FILE_MAX_SIZE: MAX, FILE_SERVER_MAX_SIZE: MAX } });
      await createRoom(ctx, 'pics');
      await createRoom(ctx, 'elsewhere');
      await createRoom(ctx, 'noup', { upload: false });
      await createRoom(ctx, 'noread', { read: false, accessible: true });
      [admin, alice] = [ctx.newUser(), ctx.newUser()];
      await cliGrant(ctx, admin, { rooms: ['pics', 'elsewhere'] }, { admin: true });
    });
    afterAll(() => ctx?.close());

    const upload = (c: SogsClient, token: string, bytes: Uint8Array, headers: Record<string, string> = {}) =>
      c.request({ method: 'POST', path: `/room/${token}/file`, body: bytes, headers: { 'Content-Type': 'application/octet-stream', ...headers } });

    const httpDate = (s: string | undefined) => {
      expect(s).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      return Date.parse(s!) / 1000;
    };

    describe('protocol §6.6 room files', () => {
      it('upload → 201 {"id": <number>}; download bytes and headers', async () => {
        const bytes = randomBytes(1000);
        const res = await upload(alice, 'pics', bytes);
        const body = jsonOf<{ id: unknown }>(res, 201);
        expect(keysOf(body)).toEqual(['id']);
        expect(typeof body.id).toBe('number');
        const dl = await dGet(alice, `/room/pics/file/${String(body.id)}`);
        expect(dl.code).toBe(200);
        expect(dl.body.equals(bytes)).toBe(true);
        expect(dl.headers['content-type']).toBe('application/octet-stream');
        expect(dl.headers['content-disposition']).toBe('attachment');
        expect(dl.headers).not.toHaveProperty('content-length'); // §4.5: removed from v4 reply headers
        const uploaded = httpDate(dl.headers.date);
        const expires = httpDate(dl.headers.expires);
        expect(Math.abs(expires - uploaded - 3600)).toBeLessThanOrEqual(2);
        const suffixed = await dGet(ctx.anon(), `/room/pics/file/${String(body.id)}/whatever.bin`);
        expect(suffixed.body.equals(bytes)).toBe(true);
      });

      it('filename round trip in Content-Disposition', async () => {
        const res = await upload(alice, 'pics', Buffer.from('x'), { 'Content-Disposition': "attachment; filename*=UTF-8''%F0%9F%8E%82 cake (1).png" });
        const id = jsonOf<{ id: number }>(res, 201).id;
        const dl = await dGet(alice, `/room/pics/file/${id}`);
        expect(dl.headers['content-disposition']).toBe("attachment; filename*=UTF-8''%F0%9F%8E%82%20cake%20%281%29.png");
        const plain = jsonOf<{ id: number }>(await upload(alice, 'pics', Buffer.from('y'), { 'Content-Disposition': 'attachment; filename="a b.txt"' }), 201).id;
        expect((await dGet(alice, `/room/pics/file/${plain}`)).headers['content-disposition']).toBe("attachment; filename*=UTF-8''a%20b.txt");
        // "/" cannot survive into a stored name (U+FFFD instead); unreserved characters stay as they are
        const slash = jsonOf<{ id: number }>(await upload(alice, 'pics', Buffer.from('z'), { 'Content-Disposition': 'attachment; filename="../x_y-z.~"' }), 201).id;
        expect((await dGet(alice, `/room/pics/file/${slash}`)).headers['content-disposition']).toBe("attachment; filename*=UTF-8''..%EF%BF%BDx_y-z.~");
      });

      it('limits and permissions: 413, 403, 404', async () => {
        expect((await upload(alice, 'pics', randomBytes(MAX))).code).toBe(201);
        expect((await upload(alice, 'pics', randomBytes(MAX + 1))).code).toBe(413);
        expect((await upload(alice, 'noup', Buffer.from('z'))).code).toBe(403);
        expect((await upload(ctx.anon(), 'pics', Buffer.from('z'))).code).toBe(401);
        const id = jsonOf<{ id: number }>(await upload(alice, 'pics', Buffer.from('q')), 201).id;
        expect((await dGet(alice, `/room/elsewhere/file/${id}`)).code).toBe(404);
        expect((await dGet(alice, '/room/pics/file/999999')).code).toBe(404);
        expect((await dGet(alice, '/room/noread/file/1')).code).toBe(403);
      });

      it('attaching via post (string ids) extends expiry to 15 days', async () => {
        const id = jsonOf<{ id: number }>(await upload(alice, 'pics', Buffer.from('attached')), 201).id;
        expect(jsonOf(await alice.post('/room/pics/message', { ...messageBody(), files: [String(id)], timestamp: Date.now() }), 201)).toBeTruthy();
        const dl = await dGet(alice, `/room/pics/file/${id}`);
        const remaining = httpDate(dl.headers.expires) - Date.now() / 1000;
        expect(remaining).toBeGreaterThan(15 * 86400 - 60);
        expect(remaining).toBeLessThan(15 * 86400 + 60);
      });

      it('room image: permanent, image_id a number, foreign file → 406', async () => {
        const id = jsonOf<{ id: number }>(await upload(admin, 'pics', Buffer.from('image')), 201).id;
        const before = jsonOf<{ info_updates: number }>(await dGet(alice, '/room/pics'), 200).info_updates;
        expect(jsonOf(await admin.put('/room/pics', { image: id }), 200)).toEqual({ info_updates: before + 1 });
        const room = jsonOf<Record<string, unknown>>(await dGet(alice, '/room/pics'), 200);
        expect(room.image_id).toBe(id);
        const dl = await dGet(ctx.anon(), `/room/pics/file/${id}`);
        expect(dl.body.toString()).toBe('image');
        expect(dl.headers).not.toHaveProperty('expires');
        const foreign = jsonOf<{ id: number }>(await upload(admin, 'elsewhere', Buffer.from('other')), 201).id;
        expect((await admin.put('/room/pics', { image: foreign })).code).toBe(406);
        expect((await admin.put('/room/pics', { image: 999999 })).code).toBe(406);
      });
    });

    describe('protocol §12 file server', () => {
      const fsUpload = (c: SogsClient, bytes: Uint8Array, headers: Record<string, string> = {}) =>
        c.request({ method: 'POST', path: '/file', body: bytes, headers: { 'Content-Type': 'application/octet-stream', ...headers } });

      it('upload → 200 {"id": <string>, "expires": <float>}; download; info; extend', async () => {
        const client = ctx.anon();
        const bytes = randomBytes(2000);
        const up = jsonOf<{ id: unknown; expires: number }>(await fsUpload(client, bytes), 200);
        expect(keysOf(up)).toEqual(['expires', 'id']);
        expect(typeof up.id).toBe('string');
        expect(up.expires - Date.now() / 1000).toBeGreaterThan(21 * 86400 - 60);
        const dl = await dGet(client, `/file/${String(up.id)}`);
        expect(dl.code).toBe(200);
        expect(dl.headers['content-type']).toBe('application/octet-stream');
        expect(dl.body.equals(bytes)).toBe(true);
        const info = jsonOf<Record<string, number>>(await dGet(client, `/file/${String(up.id)}/info`), 200);
        expect(keysOf(info)).toEqual(['expires', 'size', 'uploaded']);
        expect(info.size).toBe(2000);
        expectTimestamp(info.uploaded);
        const ext = await client.request({ method: 'POST', path: `/file/${String(up.id)}/extend` });
        if ((up.id as string).length >= 44) {
          expect(keysOf(jsonOf(ext, 200))).toEqual(['expires', 'size', 'uploaded']);
        } else {
          expect(ext.code).toBe(404);
        }
      });

      it('content ids (protocol §12.1 vector): identical bytes give the same id', async () => {
        const client = ctx.anon();
        const up = jsonOf<{ id: string; expires: number }>(await fsUpload(client, Buffer.from('hello world')), 200);
        expect(up.id).toBe('3qXfYbeRSxXa89I8ApcbKl0_BshkLQ6myd0DsvcrDEy3');
        const again = jsonOf<{ id: string; expires: number }>(await fsUpload(client, Buffer.from('hello world')), 200);
        expect(again.id).toBe(up.id);
        expect(again.expires).toBeGreaterThanOrEqual(up.expires);
        // X-FS-TTL is ignored unless the server configures a maximum (FILE_SERVER_MAX_TTL = 0 here)
        expect((await fsUpload(client, Buffer.from('ttl'), { 'X-FS-TTL': 'abc' })).code).toBe(200);
      });

      it('errors are JSON {"status_code": N}: 404 unknown, 413 empty or too big', async () => {
        const client = ctx.newUser();
        expect(jsonOf(await dGet(client, '/file/nope'), 404)).toEqual({ status_code: 404 });
        expect(jsonOf(await dGet(client, '/file/nope/info'), 404)).toEqual({ status_code: 404 });
        expect(jsonOf(await fsUpload(client, new Uint8Array(0)), 413)).toEqual({ status_code: 413 });
        expect(jsonOf(await fsUpload(client, randomBytes(MAX + 1)), 413)).toEqual({ status_code: 413 });
        expect(jsonOf(await client.request({ method: 'POST', path: '/file/short/extend' }), 404)).toEqual({ status_code: 404 });
      });

      it('deprecated /files routes', async () => {
        const client = ctx.anon();
        const up = jsonOf<{ result: unknown; status_code: number }>(await client.post('/files', { file: Buffer.from('legacy').toString('base64') }), 200);
        expect(keysOf(up)).toEqual(['result', 'status_code']);
        expect(up.status_code).toBe(200);
        const got = jsonOf<{ result: string; status_code: number }>(await dGet(client, `/files/${String(up.result)}`), 200);
        expect(got).toEqual({ status_code: 200, result: Buffer.from('legacy').toString('base64') });
        expect((await client.post('/files', {})).code).toBe(400);
      });
    });
  });
}
