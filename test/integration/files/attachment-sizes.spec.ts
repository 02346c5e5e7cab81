import { randomBytes } from 'node:crypto';
import { ATTACHMENT_MAX_ENCRYPTED, ATTACHMENT_MAX_PLAINTEXT, encryptedAttachmentSize } from '../../../src/crypto/attachment-size';
import { createTestContext, type TestContext } from '../../support/context';
import { fileCommunity, type FileCommunity } from './rooms-fixture';

// Issue 21 item 11: with the default limits, the largest attachment a current client produces
// (protocol §9.1: 10,218,286 bytes padded and encrypted to 10,223,616) goes through the onion gateway
// to a room, inside a /batch as base64, and to the file server.

/** What a client uploads for its largest file: 'S', the secretstream header, then padded chunks with their MACs. */
function largestAttachment(): Buffer {
  const size = encryptedAttachmentSize(ATTACHMENT_MAX_PLAINTEXT);
  return Buffer.concat([Buffer.from('S'), randomBytes(size - 1)]);
}

describe('the largest client attachment at the default limits (protocol §9.1)', () => {
  let ctx: TestContext;
  let c: FileCommunity;
  const attachment = largestAttachment();
  beforeAll(async () => {
    ctx = await createTestContext({ config: { STORAGE_DRIVER: 'fs' } });
    c = await fileCommunity(ctx);
  });
  afterAll(() => ctx?.close());

  it('is 10,223,616 bytes, and the defaults are exactly that', () => {
    expect(attachment.length).toBe(10_223_616);
    expect(ctx.config.FILE_MAX_SIZE).toBe(ATTACHMENT_MAX_ENCRYPTED);
    expect(ctx.config.FILE_SERVER_MAX_SIZE).toBe(ATTACHMENT_MAX_ENCRYPTED);
  });

  it('uploads as a room file and downloads byte-equal; one byte more is 413', async () => {
    const up = await c.user.request({ method: 'POST', path: '/room/test-room/file', body: attachment, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(up.code).toBe(201);
    const { id } = up.json<{ id: number }>();
    expect((await c.user2.get(`/room/test-room/file/${id}`)).body.equals(attachment)).toBe(true);
    const over = await c.user.request({ method: 'POST', path: '/room/test-room/file', body: Buffer.concat([attachment, Buffer.from([0])]) });
    expect(over.code).toBe(413);
  }, 120_000);

  it('uploads as a room file inside a /batch, base64 in JSON (past the old 10 MiB onion limit)', async () => {
    const b64 = attachment.toString('base64');
    expect(b64.length).toBeGreaterThan(10_485_760);
    const res = await c.user.batch([{ method: 'POST', path: '/room/test-room/file', b64, headers: { 'Content-Type': 'application/octet-stream' } }]);
    expect(res.code).toBe(200);
    expect(res.items.map((i) => i.code)).toEqual([201]);
    const { id } = res.items[0].body as { id: number };
    expect((await c.user2.get(`/room/test-room/file/${id}`)).body.equals(attachment)).toBe(true);
  }, 120_000);

  it('uploads to the file server and downloads byte-equal; one byte more is 413', async () => {
    const anon = ctx.anon();
    const up = await anon.request({ method: 'POST', path: '/file', body: attachment });
    expect(up.code).toBe(200);
    const { id } = up.json<{ id: string }>();
    expect((await anon.get(`/file/${id}`)).body.equals(attachment)).toBe(true);
    const over = await anon.request({ method: 'POST', path: '/file', body: Buffer.concat([attachment, Buffer.from([0])]) });
    expect(over.json()).toEqual({ status_code: 413 });
  }, 120_000);
});
