// Issue 15 item 6: the SHA-256 of every upload (room and file server) is checked against the
// blocklist; blocking a digest quarantines every stored copy.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';
import { createRoom } from '../../support/rooms-fixtures';
import { cli, cliOk, envFor } from '../cli/cli-helpers';
import { StoredObjects } from './stored-objects';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('attachment blocklist (issue 15 item 6)', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ctx = await createTestContext({ config: { STORAGE_DRIVER: 'fs' } });
    env = envFor(ctx.config);
    await createRoom(ctx, 'alpha');
    await createRoom(ctx, 'beta');
  });
  afterAll(() => ctx?.close());

  it('blocking a digest quarantines its stored copies (404 in every room and on the file server, bytes gone) and refuses it on upload with the reason', async () => {
    const content = randomBytes(30_000);
    const other = randomBytes(30_000);
    const user = ctx.newUser();
    const roomFile = (await user.request({ method: 'POST', path: '/room/alpha/file', body: content })).json<{ id: number }>().id;
    const roomFile2 = (await user.request({ method: 'POST', path: '/room/beta/file', body: content })).json<{ id: number }>().id;
    const kept = (await user.request({ method: 'POST', path: '/room/alpha/file', body: other })).json<{ id: number }>().id;
    const serverFile = (await ctx.anon().request({ method: 'POST', path: '/file', body: content })).json<{ id: string }>().id;
    const stored = new StoredObjects(ctx.config);
    expect(await stored.keys()).toHaveLength(2);

    const out = JSON.parse(await cliOk(env, 'blocklist', 'add', sha256(content).toUpperCase(), '--reason', 'known spam image', '--json')) as unknown;
    expect(out).toEqual([{ sha256: sha256(content), added: true, objects: 1, roomFiles: 2, serverFiles: 1 }]);
    expect((await user.get(`/room/alpha/file/${roomFile}`)).code).toBe(404);
    expect((await user.get(`/room/beta/file/${roomFile2}`)).code).toBe(404);
    expect((await ctx.anon().get(`/file/${serverFile}`)).code).toBe(404);
    expect((await user.get(`/room/alpha/file/${kept}`)).body.equals(other)).toBe(true);
    await eventually(async () => (await stored.keys()).length === 1 && (await ctx.prisma.file.count()) === 1 && (await ctx.prisma.serverFile.count()) === 0, 10_000, 'the sweep');

    const refused = await user.request({ method: 'POST', path: '/room/alpha/file', body: content });
    expect(refused.code).toBe(403);
    expect(refused.text()).toContain('known spam image');
    expect((await ctx.anon().request({ method: 'POST', path: '/file', body: content })).code).toBe(403);
    // Each refusal is the blocklist acting: audit-logged as the rule, naming the content.
    const hits = await ctx.prisma.auditLog.findMany({ where: { action: 'rule.hit', actor: 'rule:blocklist' } });
    expect(hits.map((h) => h.target)).toEqual([sha256(content), sha256(content)]);
    expect(await ctx.prisma.file.count()).toBe(1);
    expect((await stored.keys()).length).toBe(1);

    const again = await cliOk(env, 'blocklist', 'add', sha256(content));
    expect(again).toContain('Already blocked');
    expect(JSON.parse(await cliOk(env, 'blocklist', 'list', '--json'))).toEqual([{ sha256: sha256(content), reason: null, added: expect.any(Number) }]);

    await cliOk(env, 'blocklist', 'remove', sha256(content));
    expect((await user.request({ method: 'POST', path: '/room/alpha/file', body: content })).code).toBe(201);
    expect((await cli(env, 'blocklist', 'remove', sha256(content))).code).toBe(1);
  });

  it('imports a list (sha256sum output, reasons, comments) and refuses a file with a bad line without adding any', async () => {
    const [a, b] = [randomBytes(1000), randomBytes(1000)];
    const dir = mkdtempSync(join(tmpdir(), 'scs-blocklist-'));
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, `${sha256(a)} fine\nnot-a-hash\n`);
    const failed = await cli(env, 'blocklist', 'import', bad);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Line 2');
    expect(await ctx.prisma.blockedContent.count()).toBe(0);

    const good = join(dir, 'good.txt');
    writeFileSync(good, `# from the operators' list\n\n${sha256(a)}  *spam.jpg\n${sha256(b)} raid sticker\n`);
    expect(await cliOk(env, 'blocklist', 'import', good)).toContain('Blocked 2 new digest(s) of 2');
    const list = JSON.parse(await cliOk(env, 'blocklist', 'list', '--json')) as Array<{ sha256: string; reason: string | null }>;
    expect(list.map((e) => [e.sha256, e.reason])).toEqual([
      [sha256(a), 'spam.jpg'],
      [sha256(b), 'raid sticker'],
    ]);
    const refused = await ctx.newUser().request({ method: 'POST', path: '/room/beta/file', body: b });
    expect(refused.code).toBe(403);
    expect(refused.text()).toContain('raid sticker');
    expect((await cli(env, 'blocklist', 'add', 'abc')).code).toBe(1);
  });
});
