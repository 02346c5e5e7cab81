// Issue 19 item 6 (storage): anonymous file-server storage was unbounded (6 MB a request, kept 21
// days). FILE_SERVER_MAX_STORAGE caps the bytes it holds (507 when full), and /metrics reports
// what is stored, by kind.
import { randomBytes } from 'node:crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';

const CAP = 250_000;

describe('file-server storage cap and usage metrics (issue 19 item 6)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { FILE_SERVER_MAX_SIZE: 100_000, FILE_SERVER_MAX_STORAGE: CAP } });
  });
  afterAll(() => ctx?.close());

  const metric = async (name: string, kind: string): Promise<number> => {
    const text = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{kind="${kind}"}`));
    if (!line) throw new Error(`no ${name}{kind="${kind}"} in /metrics`);
    return Number(line.split(' ').pop());
  };

  it('answers 507 {"status_code": 507} on POST /file and legacy /files once the cap would be passed; a known file still dedupes', async () => {
    const client = ctx.anon();
    const first = randomBytes(100_000);
    for (const body of [first, randomBytes(100_000)]) expect((await client.request({ method: 'POST', path: '/file', body })).code).toBe(200);
    const full = await client.request({ method: 'POST', path: '/file', body: randomBytes(60_000) });
    expect(full.code).toBe(507);
    expect(full.json()).toEqual({ status_code: 507 });
    const legacy = await client.post('/files', { file: randomBytes(60_000).toString('base64') });
    expect(legacy.code).toBe(507);
    // The same bytes again take no new storage: still served.
    expect((await client.request({ method: 'POST', path: '/file', body: first })).code).toBe(200);
    // What fits still goes in.
    expect((await client.request({ method: 'POST', path: '/file', body: randomBytes(50_000) })).code).toBe(200);
    expect(await ctx.prisma.serverFile.count()).toBe(3);
  });

  it('concurrent uploads never push the stored bytes past the cap', async () => {
    await ctx.prisma.serverFile.deleteMany({});
    const client = ctx.anon();
    const results = await Promise.all(Array.from({ length: 6 }, () => client.request({ method: 'POST', path: '/file', body: randomBytes(100_000) })));
    expect(results.filter((r) => r.code === 200)).toHaveLength(2);
    expect(results.filter((r) => r.code === 507)).toHaveLength(4);
    const { _sum } = await ctx.prisma.serverFile.aggregate({ _sum: { size: true } });
    expect(_sum.size).toBe(200_000);
  });

  it('reports bytes and files stored by kind (room, file server)', async () => {
    await ctx.prisma.serverFile.deleteMany({});
    await createRoom(ctx, 'lobby');
    expect(await metric('scs_storage_bytes', 'file_server')).toBe(0);
    const client = ctx.anon();
    for (const size of [1_000, 2_000]) expect((await client.request({ method: 'POST', path: '/file', body: randomBytes(size) })).code).toBe(200);
    const user = ctx.newUser();
    expect((await user.request({ method: 'POST', path: '/room/lobby/file', body: randomBytes(5_000) })).code).toBe(201);
    expect(await metric('scs_storage_bytes', 'file_server')).toBe(3_000);
    expect(await metric('scs_storage_files', 'file_server')).toBe(2);
    expect(await metric('scs_storage_bytes', 'room')).toBe(5_000);
    expect(await metric('scs_storage_files', 'room')).toBe(1);
  });
});
