import { Client as MinioClient } from 'minio';
import { createTestContext, type TestContext } from '../support/context';

// Issue 2 smoke test: the harness boots the real app on its own database, Redis prefix and key,
// the admin port answers, and a request through the onion gateway comes back decrypted.
describe('server boot', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('answers GET /healthz on the admin port', async () => {
    const res = await fetch(`${ctx.adminUrl}/healthz`);
    expect(res.status).toBe(200);
  });

  it('listens on loopback only, with its own database and a 32-byte X25519 key', async () => {
    expect(new URL(ctx.url).hostname).toBe('127.0.0.1');
    expect(new URL(ctx.adminUrl).hostname).toBe('127.0.0.1');
    expect(ctx.serverPubkeyHex).toMatch(/^[0-9a-f]{64}$/);
    const [{ current_database }] = await ctx.prisma.$queryRaw<{ current_database: string }[]>`SELECT current_database()`;
    expect(ctx.databaseUrl.endsWith(`/${current_database}`)).toBe(true);
    expect(await ctx.prisma.room.count()).toBe(0);
  });

  it('serves GET /capabilities through the onion gateway to an anonymous and a blinded client', async () => {
    for (const client of [ctx.anon(), ctx.newUser()]) {
      const res = await client.get('/capabilities');
      expect(res.code).toBe(200);
      expect(res.json<{ capabilities: string[] }>().capabilities).toContain('sogs');
    }
  });

  it('gives every context its own database', async () => {
    const other = await createTestContext();
    try {
      await other.prisma.user.create({ data: { sessionId: '05' + 'ab'.repeat(32) } });
      expect(await other.prisma.user.count({ where: { sessionId: '05' + 'ab'.repeat(32) } })).toBe(1);
      expect(await ctx.prisma.user.count({ where: { sessionId: '05' + 'ab'.repeat(32) } })).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('S3-protocol test server', () => {
  it('stores and returns an object on loopback with the credentials test contexts use', async () => {
    const endpoint = new URL(process.env.SCS_TEST_S3_ENDPOINT ?? '');
    const s3 = new MinioClient({
      endPoint: endpoint.hostname,
      port: Number(endpoint.port),
      useSSL: false,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      region: 'us-east-1',
      pathStyle: true,
    });
    const bucket = `scs-boot-${process.pid}`;
    await s3.makeBucket(bucket, 'us-east-1');
    await s3.putObject(bucket, 'hello', Buffer.from('world'));
    const chunks: Buffer[] = [];
    for await (const chunk of await s3.getObject(bucket, 'hello')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('world');
  });
});
