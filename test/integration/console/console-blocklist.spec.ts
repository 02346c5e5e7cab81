import { createHash, randomBytes } from 'node:crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, expectStatus } from '../../support/rooms-fixtures';
import { cliOk } from '../cli/cli-helpers';
import { consoleEnv, csrfOf, post, signIn } from './console-helpers';

// Issue 17, Files view: the attachment blocklist over BlocklistService, the service the
// `blocklist` CLI uses: list, add by SHA-256 or by a file's content, remove; each change audited.

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('console attachment blocklist', () => {
  let ctx: TestContext;
  let cookie: string;
  let csrf: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    await createRoom(ctx, 'lobby');
    ({ cookie } = await signIn(ctx));
    csrf = await csrfOf(ctx, cookie);
  });
  afterAll(async () => {
    await ctx?.close();
  });
  const upload = (content: Uint8Array) => ctx.newUser().request({ method: 'POST', path: '/room/lobby/file', body: Buffer.from(content) });
  const filesPage = async () => (await fetch(`${ctx.adminUrl}/console/files`, { headers: { cookie } })).text();
  const multipart = (fields: Record<string, string>, file: { name: string; data: Uint8Array } | null, headers: Record<string, string> = {}) => {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    if (file) body.append('file', new Blob([Buffer.from(file.data)]), file.name);
    return fetch(`${ctx.adminUrl}/console/files/blocklist/upload`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: ctx.adminUrl, ...headers }, body });
  };

  test('a digest blocked in the console quarantines the stored copy, refuses uploads with the reason, and is listed; unblocking lets it in again', async () => {
    const content = randomBytes(5000);
    const stored = (await upload(content)).json<{ id: number }>().id;
    const added = await post(ctx, '/console/files/blocklist', { _csrf: csrf, sha256: ` ${sha256(content).toUpperCase()} `, reason: 'known spam' }, { cookie });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/console/files?notice=blocked');
    expect((await ctx.newUser().get(`/room/lobby/file/${stored}`)).code).toBe(404);
    const refused = await upload(content);
    expect(refused.code).toBe(403);
    expect(refused.text()).toContain('known spam');
    const page = await filesPage();
    expect(page).toContain(`<td class="mono">${sha256(content)}</td>`);
    expect(page).toContain('known spam');

    // The same digest again: the reason is updated, nothing else.
    const again = await post(ctx, '/console/files/blocklist', { _csrf: csrf, sha256: sha256(content), reason: '' }, { cookie });
    expect(again.headers.get('location')).toBe('/console/files?notice=already-blocked');

    const removed = await post(ctx, '/console/files/blocklist/remove', { _csrf: csrf, sha256: sha256(content) }, { cookie });
    expect(removed.headers.get('location')).toBe('/console/files?notice=unblocked');
    expectStatus(await upload(content), 201);
    expect(await filesPage()).toContain('Nothing is blocked.');
    const unknown = await post(ctx, '/console/files/blocklist/remove', { _csrf: csrf, sha256: sha256(content) }, { cookie });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('is not blocked');

    // The refused upload's rule hit is the rule's own entry.
    const entries = await ctx.prisma.auditLog.findMany({ where: { target: sha256(content), action: { not: 'rule.hit' } }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.actor, e.action, e.reason])).toEqual([
      ['console', 'blocklist.add', 'known spam'],
      ['console', 'blocklist.add', null],
      ['console', 'blocklist.remove', null],
    ]);
    expect(entries[0].details).toEqual({ added: true, objects: 1, roomFiles: 1, serverFiles: 0 });
  });

  test('a file chosen in the console is blocked by its SHA-256; its bytes are not kept', async () => {
    const content = randomBytes(3000);
    const res = await multipart({ _csrf: csrf, reason: 'from a report' }, { name: 'bad.bin', data: content });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/files?notice=blocked');
    expect((await ctx.prisma.blockedContent.findMany()).map((b) => [Buffer.from(b.sha256).toString('hex'), b.reason])).toEqual([[sha256(content), 'from a report']]);
    expect((await upload(content)).code).toBe(403);
    expect(await ctx.prisma.file.count({ where: { size: 3000 } })).toBe(0);
    // The CLI sees the same list, and its own changes are audited as the CLI's.
    expect(await cliOk(consoleEnv(ctx), 'blocklist', 'remove', sha256(content))).toContain('Unblocked');
    expect((await ctx.prisma.auditLog.findFirstOrThrow({ where: { target: sha256(content), action: 'blocklist.remove' } })).actor).toBe('cli');
  });

  test('a stored file is blocked by its content from the largest files: every copy quarantined, uploads refused', async () => {
    const content = randomBytes(4000);
    const first = (await upload(content)).json<{ id: number }>().id;
    const copy = (await upload(content)).json<{ id: number }>().id;
    expect(await filesPage()).toContain(`aria-label="Block the content of file ${first}"`);
    const res = await post(ctx, '/console/files/block', { _csrf: csrf, id: String(first), room: 'lobby' }, { cookie });
    expect(res.headers.get('location')).toBe('/console/files?notice=blocked');
    for (const id of [first, copy]) expect((await ctx.newUser().get(`/room/lobby/file/${id}`)).code).toBe(404);
    expect((await upload(content)).code).toBe(403);
    expect((await ctx.prisma.auditLog.findFirstOrThrow({ where: { target: sha256(content), action: 'blocklist.add' } })).actor).toBe('console');
    expect((await post(ctx, '/console/files/block', { _csrf: csrf, id: String(first), room: 'lobby' }, { cookie })).status).toBe(404);
    await post(ctx, '/console/files/blocklist/remove', { _csrf: csrf, sha256: sha256(content) }, { cookie });
  });

  test('bad input is a 400 with the reason; a change without the CSRF token is refused', async () => {
    const bad = await post(ctx, '/console/files/blocklist', { _csrf: csrf, sha256: 'abc' }, { cookie });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('expected 64 hex digits');
    const long = await post(ctx, '/console/files/blocklist', { _csrf: csrf, sha256: 'a'.repeat(64), reason: 'x'.repeat(201) }, { cookie });
    expect(long.status).toBe(400);
    const none = await multipart({ _csrf: csrf }, null);
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('file: Choose a file');

    expect((await post(ctx, '/console/files/blocklist', { sha256: 'a'.repeat(64) }, { cookie })).status).toBe(403);
    expect((await multipart({}, { name: 'x', data: randomBytes(10) })).status).toBe(403);
    expect((await multipart({ _csrf: csrf }, { name: 'x', data: randomBytes(10) }, { origin: 'http://evil.example' })).status).toBe(403);
    expect(await ctx.prisma.blockedContent.count()).toBe(0);
  });
});
