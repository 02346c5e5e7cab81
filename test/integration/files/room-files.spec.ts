import { randomBytes } from 'node:crypto';
import { SogsClient } from '../../../src/client';
import type { AppConfig } from '../../../src/config/config';
import { FilesService } from '../../../src/files/files.service';
import { RoomsService } from '../../../src/rooms/rooms.service';
import type { RunningServer } from '../../../src/server';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';
import { fileCommunity, type FileCommunity } from './rooms-fixture';
import { eventually } from '../../support/eventually';
import { patternBytes, StoredObjects } from './stored-objects';

const DAY = 86400;
const FILE_MAX_SIZE = 200_000;

async function upload(client: SogsClient, token: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<number> {
  const res = await client.request({ method: 'POST', path: `/room/${token}/file`, body, headers });
  if (res.code !== 201) throw new Error(`upload answered ${res.code}: ${res.text()}`);
  const { id } = res.json<{ id: unknown }>();
  expect(typeof id).toBe('number');
  return id as number;
}

async function post(client: SogsClient, token: string, files: number[]): Promise<number> {
  const res = await client.post(`/room/${token}/message`, { data: randomBytes(50).toString('base64'), signature: randomBytes(64).toString('base64'), files });
  if (res.code !== 201) throw new Error(`post answered ${res.code}: ${res.text()}`);
  return res.json<{ id: number }>().id;
}

describe.each(['fs', 's3'] as const)('room files (protocol §6.6, §9.3) on the %s driver', (driver) => {
  let ctx: TestContext;
  let c: FileCommunity;
  const start = async (config: Partial<AppConfig> = {}) => {
    ctx = await createTestContext({ config: { STORAGE_DRIVER: driver, FILE_MAX_SIZE, ...config } });
    c = await fileCommunity(ctx);
    return ctx;
  };
  const fileRow = (id: number) => ctx.prisma.file.findUnique({ where: { id } });
  afterEach(async () => {
    await ctx?.close();
  });

  it('test_file_upload: 201 with a numeric id, byte-equal download with the §6.6 headers, 1 h expiry, ciphertext at rest', async () => {
    await start();
    const content = patternBytes(150_000, 3);
    const before = Date.now() / 1000;
    const id = await upload(c.user, 'test-room', content);
    const row = await fileRow(id);
    expect(row!.expiry! - row!.uploaded).toBeCloseTo(3600, 3);
    expect(row!.uploaded).toBeGreaterThanOrEqual(before - 1);

    for (const path of [`/room/test-room/file/${id}`, `/room/TEST-ROOM/file/${id}/whatever.bin`]) {
      const res = await c.user2.get(path);
      expect(res.code).toBe(200);
      expect(res.body.equals(content)).toBe(true);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers['content-disposition']).toBe('attachment');
      expect(res.headers.date).toBe(new Date(Math.floor(row!.uploaded) * 1000).toUTCString());
      expect(res.headers.expires).toBe(new Date(Math.floor(row!.expiry!) * 1000).toUTCString());
    }
    expect((await ctx.anon().get(`/room/test-room/file/${id}`)).body.equals(content)).toBe(true);

    const object = await new StoredObjects(ctx.config).read(row!.objectKey);
    expect(object).not.toBeNull();
    expect(object!.includes(content.subarray(0, 48))).toBe(false);
    expect(object!.includes(content.subarray(100_000, 100_048))).toBe(false);
  });

  it('test_file_filenames: both Content-Disposition forms round-trip; NUL and / become U+FFFD; RFC 5987 on download', async () => {
    await start();
    const cases: Array<[string, string]> = [
      ['attachment; filename="report.pdf"', 'report.pdf'],
      ["attachment; filename*=UTF-8''%F0%9F%8E%82%20cake%E2%80%94%C3%A9.txt", '🎂 cake—é.txt'],
      ['attachment; filename="../../etc/passwd"', '..\uFFFD..\uFFFDetc\uFFFDpasswd'],
      ['attachment; filename="back\\\\slash"', 'back\\slash'],
      ["attachment; filename*=UTF-8''a%00b", 'a\uFFFDb'],
    ];
    for (const [header, expected] of cases) {
      const id = await upload(c.user, 'test-room', randomBytes(10), { 'Content-Disposition': header });
      expect((await fileRow(id))!.filename).toBe(expected);
      const res = await c.user.get(`/room/test-room/file/${id}`);
      const pct = [...Buffer.from(expected, 'utf8')]
        .map((b) => (/[A-Za-z0-9_.\-~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
        .join('');
      expect(res.headers['content-disposition']).toBe(`attachment; filename*=UTF-8''${pct}`);
    }
  });

  it('enforces FILE_MAX_SIZE: exactly the limit is stored, one byte more is 413', async () => {
    await start();
    await upload(c.user, 'test-room', randomBytes(FILE_MAX_SIZE));
    const res = await c.user.request({ method: 'POST', path: '/room/test-room/file', body: randomBytes(FILE_MAX_SIZE + 1) });
    expect(res.code).toBe(413);
    expect(res.text()).toMatch(/too large/i);
  });

  it('test_file_permissions: 401 anonymous, 403 without upload or read, 404 for other rooms, missing and malformed ids', async () => {
    await start();
    await createRoom(ctx, 'no-upload', { upload: false });
    await createRoom(ctx, 'secret', { read: false });
    expect((await ctx.anon().request({ method: 'POST', path: '/room/test-room/file', body: randomBytes(10) })).code).toBe(401);
    expect((await c.user.request({ method: 'POST', path: '/room/no-upload/file', body: randomBytes(10) })).code).toBe(403);
    expect((await c.user.request({ method: 'POST', path: '/room/nowhere/file', body: randomBytes(10) })).code).toBe(404);
    const id = await upload(c.user, 'test-room', randomBytes(10));
    expect((await c.user.get(`/room/room2/file/${id}`)).code).toBe(404);
    expect((await c.user.get(`/room/secret/file/${id}`)).code).toBe(403);
    expect((await c.user.get(`/room/test-room/file/${id + 1000}`)).code).toBe(404);
    expect((await c.user.get('/room/test-room/file/abc')).code).toBe(404);
  });

  it('test_file_expiry: 404 once expired even before the job, then the job removes row and object', async () => {
    await start({ FILE_UPLOAD_EXPIRY: 1 });
    const id = await upload(c.user, 'test-room', randomBytes(1000));
    const { objectKey } = (await fileRow(id))!;
    const stored = new StoredObjects(ctx.config);
    expect(await stored.read(objectKey)).not.toBeNull();
    ctx.clock.advance(1050);
    expect((await c.user.get(`/room/test-room/file/${id}`)).code).toBe(404);
    // collect deletes the bytes before the storage_objects row: wait for the row too.
    await eventually(
      async () => (await fileRow(id)) === null && (await stored.read(objectKey)) === null && (await ctx.prisma.storageObject.count()) === 0,
      10_000,
      'the expiry job',
    );
  });

  it('the sweep finishes a deletion interrupted between the row and the object', async () => {
    await start({ FILE_SWEEP_INTERVAL: 1 });
    const id = await upload(c.user, 'test-room', randomBytes(2000));
    const { objectKey } = (await fileRow(id))!;
    const stored = new StoredObjects(ctx.config);
    // What a crash right after the deletion's transaction leaves: no row, an unreferenced object.
    await ctx.prisma.$transaction([
      ctx.prisma.$executeRaw`DELETE FROM files WHERE id = ${id}`,
      ctx.prisma.$executeRaw`UPDATE storage_objects SET refs = refs - 1, delete_after = date_part('epoch', now()) WHERE key = ${objectKey}`,
    ]);
    expect(await stored.read(objectKey)).not.toBeNull();
    expect((await c.user.get(`/room/test-room/file/${id}`)).code).toBe(404);
    await eventually(async () => (await stored.read(objectKey)) === null && (await ctx.prisma.storageObject.count()) === 0, 10_000, 'the sweep');
  });

  it('stores the same content once, across rooms too, and keeps the object until its last file is gone', async () => {
    await start({ FILE_SWEEP_INTERVAL: 1 });
    const content = randomBytes(5000);
    const a = await upload(c.user, 'test-room', content);
    const b = await upload(c.user2, 'test-room', content);
    const other = await upload(c.user, 'room2', content);
    const rows = await ctx.prisma.file.findMany({ where: { id: { in: [a, b, other] } }, orderBy: { id: 'asc' } });
    expect(rows[0].objectKey).toBe(rows[1].objectKey);
    expect(rows[2].objectKey).toBe(rows[0].objectKey);
    expect((await ctx.prisma.storageObject.findUniqueOrThrow({ where: { key: rows[0].objectKey } })).refs).toBe(3);

    await ctx.prisma.file.update({ where: { id: a }, data: { expiry: 0 } });
    await eventually(async () => (await fileRow(a)) === null, 10_000, 'the sweep');
    expect((await c.user.get(`/room/test-room/file/${b}`)).body.equals(content)).toBe(true);
    expect((await ctx.prisma.storageObject.findUniqueOrThrow({ where: { key: rows[0].objectKey } })).refs).toBe(2);

    await ctx.prisma.file.update({ where: { id: b }, data: { expiry: 0 } });
    await eventually(async () => (await fileRow(b)) === null, 10_000, 'the sweep');
    expect((await c.user.get(`/room/room2/file/${other}`)).body.equals(content)).toBe(true);
    await ctx.prisma.file.update({ where: { id: other }, data: { expiry: 0 } });
    const stored = new StoredObjects(ctx.config);
    await eventually(async () => (await stored.read(rows[0].objectKey)) === null, 10_000, 'the last reference to go');
  });

  it('test_file_attach_pin_unpin_image: §9.3 expiry transitions through posts, pins, room images and deletion', async () => {
    await start({ FILE_SWEEP_INTERVAL: 1 });
    const [f1, f2, img1, img2] = [
      await upload(c.user, 'test-room', randomBytes(100)),
      await upload(c.user, 'test-room', randomBytes(101)),
      await upload(c.admin, 'test-room', randomBytes(102)),
      await upload(c.admin, 'test-room', randomBytes(103)),
    ];
    const msg = await post(c.user, 'test-room', [f1]);
    const attached = (await fileRow(f1))!;
    expect(attached.messageId).toBe(msg);
    expect(attached.expiry! - Date.now() / 1000).toBeCloseTo(15 * DAY, -1);

    expect((await c.admin.post(`/room/test-room/pin/${msg}`, {})).code).toBe(200);
    expect((await fileRow(f1))!.expiry).toBeNull();
    expect((await c.user.get(`/room/test-room/file/${f1}`)).headers.expires).toBeUndefined();
    expect((await c.admin.post(`/room/test-room/unpin/${msg}`, {})).code).toBe(200);
    const unpinned = (await fileRow(f1))!;
    expect(unpinned.expiry).toBeCloseTo(unpinned.uploaded + 15 * DAY, 3);

    expect((await c.admin.put('/room/test-room', { image: img1 })).code).toBe(200);
    expect((await fileRow(img1))!.expiry).toBeNull();
    expect((await c.admin.put('/room/test-room', { image: f2 + 100000 })).code).toBe(406);
    expect((await c.admin.put('/room/test-room', { image: img2 })).code).toBe(200);
    expect((await fileRow(img2))!.expiry).toBeNull();
    expect((await c.user.get(`/room/test-room/file/${img1}`)).code).toBe(404);
    await eventually(async () => (await fileRow(img1)) === null, 10_000, 'the replaced image to be deleted');

    expect((await c.user.delete(`/room/test-room/message/${msg}`)).code).toBe(200);
    expect((await c.user.get(`/room/test-room/file/${f1}`)).code).toBe(404);
    await eventually(async () => (await fileRow(f1)) === null, 10_000, "the deleted post's file to be deleted");
    expect(await fileRow(img2)).not.toBeNull();
  });

  it('the room image rule (RoomsService.updateRoom): 406 for a foreign or expired file; the new image is permanent, the old expires now', async () => {
    await start();
    const rooms = ctx.server.app.get(RoomsService, { strict: false });
    const room = () => ctx.prisma.room.findFirstOrThrow({ where: { token: 'test-room' } });
    const foreign = await upload(c.user, 'room2', randomBytes(10));
    await expect(rooms.updateRoom(await room(), { image: foreign })).rejects.toMatchObject({ status: 406 });
    const [a, b] = [await upload(c.user, 'test-room', randomBytes(11)), await upload(c.user, 'test-room', randomBytes(12))];
    await rooms.updateRoom(await room(), { image: a });
    expect((await room()).imageId).toBe(a);
    expect((await fileRow(a))!.expiry).toBeNull();
    await rooms.updateRoom(await room(), { image: b });
    expect((await room()).imageId).toBe(b);
    expect((await fileRow(a))!.expiry!).toBeLessThanOrEqual(Date.now() / 1000);
    await expect(rooms.updateRoom(await room(), { image: a })).rejects.toMatchObject({ status: 406 });
  });

  it('per-user upload quota: 429 with a reason once UPLOAD_QUOTA_BYTES is used up in the window', async () => {
    await start({ UPLOAD_QUOTA_BYTES: 10_000, UPLOAD_QUOTA_WINDOW: 3600 });
    await upload(c.user, 'test-room', randomBytes(6000));
    const over = await c.user.request({ method: 'POST', path: '/room/test-room/file', body: randomBytes(6000) });
    expect(over.code).toBe(429);
    expect(over.text()).toMatch(/quota/i);
    await upload(c.user, 'test-room', randomBytes(4000));
    await upload(c.user2, 'test-room', randomBytes(6000));
  });
});

describe('room files: master key rotation and the real 10,000,000-byte limit', () => {
  let ctx: TestContext;
  afterEach(async () => {
    await ctx?.close();
  });

  it('keeps files readable after a master key rotation, and rewrapAll moves them to the new key', async () => {
    ctx = await createTestContext({ config: { STORAGE_DRIVER: 's3' } });
    await fileCommunity(ctx);
    const seed = new Uint8Array(randomBytes(32));
    const clientOf = (server: RunningServer) => new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed });
    const content = randomBytes(70_000);
    const oldId = await upload(clientOf(ctx.server), 'test-room', content);
    const oldKeyId = (await ctx.prisma.file.findUniqueOrThrow({ where: { id: oldId }, include: { object: true } })).object.keyId;

    const newKeyFile = `${ctx.config.MASTER_KEY_FILE}.new`;
    const rotated = await ctx.startReplica({ MASTER_KEY_FILE: newKeyFile, MASTER_KEY_OLD_FILES: ctx.config.MASTER_KEY_FILE, ROLE: 'api' });
    const viaRotated = clientOf(rotated);
    expect((await viaRotated.get(`/room/test-room/file/${oldId}`)).body.equals(content)).toBe(true);
    const newId = await upload(viaRotated, 'test-room', randomBytes(1000));
    const newKeyId = (await ctx.prisma.file.findUniqueOrThrow({ where: { id: newId }, include: { object: true } })).object.keyId;
    expect(newKeyId).not.toBe(oldKeyId);

    expect(await rotated.app.get(FilesService, { strict: false }).rewrapAll()).toBe(1);
    expect(await ctx.prisma.storageObject.count({ where: { keyId: oldKeyId } })).toBe(0);
    // Once re-wrapped, the old key is no longer needed.
    const newOnly = await ctx.startReplica({ MASTER_KEY_FILE: newKeyFile, MASTER_KEY_OLD_FILES: '', ROLE: 'api' });
    expect((await clientOf(newOnly).get(`/room/test-room/file/${oldId}`)).body.equals(content)).toBe(true);
  });
});
