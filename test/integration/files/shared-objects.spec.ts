// Issue 15 item 7: identical uploads are stored once server-wide (rooms and the file server), each
// object still sealed under its own key, with one reference per file row; a file id stays per room.
import { randomBytes } from 'node:crypto';
import type { SogsClient } from '../../../src/client';
import { ObjectStore } from '../../../src/files/object-store.service';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { patternBytes, StoredObjects } from './stored-objects';

const SIZE = 5 * 1024 * 1024;

describe('deduplicated storage across rooms and the file server (issue 15 item 7)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { STORAGE_DRIVER: 's3', FILE_MAX_SIZE: 6 * 1024 * 1024, FILE_UPLOAD_EXPIRY: 60, FILE_SWEEP_INTERVAL: 1 } });
    for (const token of ['alpha', 'beta', 'gamma']) await createRoom(ctx, token);
  });
  afterAll(() => ctx?.close());

  const metric = async (line: string): Promise<number> => {
    const text = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    if (!found) throw new Error(`no ${line} in /metrics`);
    return Number(found.split(' ').pop());
  };
  const upload = async (client: SogsClient, token: string, body: Uint8Array): Promise<number> => {
    const res = await client.request({ method: 'POST', path: `/room/${token}/file`, body });
    expect(res.code).toBe(201);
    return res.json<{ id: number }>().id;
  };
  const post = async (client: SogsClient, token: string, files: number[]): Promise<number> => {
    const res = await client.post(`/room/${token}/message`, { data: randomBytes(50).toString('base64'), signature: randomBytes(64).toString('base64'), files });
    expect(res.code).toBe(201);
    return res.json<{ id: number }>().id;
  };

  it('one object for the same 5 MB in three rooms; each room serves only its own id; the object goes with its last reference', async () => {
    const content = patternBytes(SIZE, 9);
    const [a, b, c] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
    const ids = { alpha: await upload(a, 'alpha', content), beta: await upload(b, 'beta', content), gamma: await upload(c, 'gamma', content) };
    const rows = await ctx.prisma.file.findMany({ where: { id: { in: Object.values(ids) } } });
    expect(new Set(rows.map((r) => r.objectKey)).size).toBe(1);
    const key = rows[0].objectKey;
    expect(await ctx.prisma.storageObject.count()).toBe(1);
    expect((await ctx.prisma.storageObject.findUniqueOrThrow({ where: { key } })).refs).toBe(3);
    const stored = new StoredObjects(ctx.config);
    expect(await stored.keys()).toEqual([key]);
    // Sealed at rest: the stored bytes are not the plaintext.
    expect((await stored.read(key))!.subarray(0, 4096).equals(content.subarray(0, 4096))).toBe(false);
    expect(await metric('scs_storage_bytes{kind="room"}')).toBe(3 * SIZE);
    expect(await metric('scs_storage_object_bytes')).toBe(SIZE);
    expect(await metric('scs_storage_objects')).toBe(1);
    expect(await metric('scs_storage_deduplicated_uploads_total')).toBe(2);

    // A file id is the room's: another room's id is a 404 even though the bytes are the same.
    expect((await a.get(`/room/beta/file/${ids.alpha}`)).code).toBe(404);
    expect((await a.get(`/room/alpha/file/${ids.beta}`)).code).toBe(404);
    expect((await c.get(`/room/gamma/file/${ids.gamma}`)).body.equals(content)).toBe(true);

    // Deleting two (their posts deleted: protocol §9.3 expires the files now) keeps the object for the third.
    for (const [client, token] of [
      [a, 'alpha'],
      [b, 'beta'],
    ] as const) {
      const msg = await post(client, token, [ids[token]]);
      expect((await client.delete(`/room/${token}/message/${msg}`)).code).toBe(200);
    }
    await eventually(async () => (await ctx.prisma.file.count({ where: { id: { in: [ids.alpha, ids.beta] } } })) === 0, 20_000, 'the deleted files to go');
    expect((await ctx.prisma.storageObject.findUniqueOrThrow({ where: { key } })).refs).toBe(1);
    expect(await stored.keys()).toEqual([key]);
    expect((await c.get(`/room/gamma/file/${ids.gamma}`)).body.equals(content)).toBe(true);
    expect((await a.get(`/room/alpha/file/${ids.alpha}`)).code).toBe(404);

    // The last one's expiry removes the object from storage.
    ctx.clock.advance(61_000);
    expect((await c.get(`/room/gamma/file/${ids.gamma}`)).code).toBe(404);
    await eventually(async () => (await stored.keys()).length === 0 && (await ctx.prisma.storageObject.count()) === 0, 20_000, 'the object to go');
    expect(await metric('scs_storage_object_bytes')).toBe(0);
  });

  it('a file-server upload of bytes a room holds shares their object, and each side expires on its own', async () => {
    const content = randomBytes(20_000);
    const user = ctx.newUser();
    const roomFile = await upload(user, 'alpha', content);
    const res = await ctx.anon().request({ method: 'POST', path: '/file', body: content });
    expect(res.code).toBe(200);
    const serverId = res.json<{ id: string }>().id;
    const [file, serverFile] = [await ctx.prisma.file.findUniqueOrThrow({ where: { id: roomFile } }), await ctx.prisma.serverFile.findUniqueOrThrow({ where: { id: serverId } })];
    expect(serverFile.objectKey).toBe(file.objectKey);
    expect((await ctx.prisma.storageObject.findUniqueOrThrow({ where: { key: file.objectKey } })).refs).toBe(2);

    ctx.clock.advance(61_000);
    await eventually(async () => (await ctx.prisma.file.count({ where: { id: roomFile } })) === 0, 20_000, 'the room file to expire');
    expect((await ctx.anon().get(`/file/${serverId}`)).body.equals(content)).toBe(true);
    expect((await ctx.prisma.storageObject.findUniqueOrThrow({ where: { key: file.objectKey } })).refs).toBe(1);
  });

  it('collecting a referenced object keeps its bytes (a commit seen to fail may have been made)', async () => {
    const content = patternBytes(64 * 1024, 11);
    const user = ctx.newUser();
    const id = await upload(user, 'alpha', content);
    const { objectKey } = await ctx.prisma.file.findUniqueOrThrow({ where: { id }, select: { objectKey: true } });
    await ctx.server.app.get(ObjectStore).collect(objectKey);
    expect(await new StoredObjects(ctx.config).read(objectKey)).not.toBeNull();
    const res = await user.get(`/room/alpha/file/${id}`);
    expect([res.code, Buffer.from(res.body).equals(content)]).toEqual([200, true]);
  });
});
