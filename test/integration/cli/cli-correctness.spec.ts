import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestContext, type TestContext } from '../../support/context';
import { expectStatus } from '../../support/rooms-fixtures';
import { cli, cliOk, envFor } from './cli-helpers';

// Issue 21 item 7: what the CLI says is true, and a clean-up does not take what it should not.

describe('CLI correctness', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  const tmp = mkdtempSync(join(tmpdir(), 'scs-cli-7-'));
  const someone = `05${randomBytes(32).toString('hex')}`;

  beforeAll(async () => {
    ctx = await createTestContext();
    env = envFor(ctx.config);
    await cliOk(env, 'rooms', 'add', 'gallery', '--name', 'Gallery');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test('mods and bans naming an unknown room say there is no such room', async () => {
    for (const args of [
      ['mods', 'add', someone, '--room', 'nosuch'],
      ['mods', 'remove', someone, '--room', 'gallery', '--room', 'nosuch'],
      ['bans', 'add', someone, '--room', 'nosuch'],
      ['bans', 'remove', someone, '--room', 'nosuch'],
    ]) {
      const res = await cli(env, ...args);
      expect({ args, code: res.code, stderr: res.stderr }).toEqual({ args, code: 1, stderr: 'Error: No such room: nosuch\n' });
    }
  });

  test('files delete of an unknown id exits 1 with the reason', async () => {
    const res = await cli(env, 'files', 'delete', '987654321');
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('Error: Deleted 0 file(s); 1 of the given ids name no live room file (see files list)\n');
  });

  test('rooms image refuses a file that is not an image; files delete --older-than keeps the room image', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'just some text\n');
    const refused = await cli(env, 'rooms', 'image', 'gallery', text);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('Error: A room image must be a PNG, JPEG, GIF or WebP image\n');

    const png = join(tmp, 'logo.png');
    writeFileSync(png, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(500)]));
    await cliOk(env, 'rooms', 'image', 'gallery', png);
    const [room] = JSON.parse(await cliOk(env, 'rooms', 'list', 'gallery', '--json')) as Array<{ image_id: number }>;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await cliOk(env, 'files', 'delete', '--room', 'gallery', '--older-than', '1s', '--yes')).toBe('Deleted 0 file(s)\n');
    const [after] = JSON.parse(await cliOk(env, 'rooms', 'list', 'gallery', '--json')) as Array<{ image_id: number }>;
    expect(after.image_id).toBe(room.image_id);
    expectStatus(await ctx.anon().get(`/room/gallery/file/${room.image_id}`), 200);
  });

  test('probe of a dead port says what failed (ECONNREFUSED host:port)', async () => {
    const server = createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as { port: number };
    await new Promise<void>((ok) => server.close(() => ok()));
    const res = await cli(env, 'probe', `http://127.0.0.1:${port}/gallery?public_key=${ctx.serverPubkeyHex}`);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`failed: ECONNREFUSED 127.0.0.1:${port}`);
  });

  test('rooms delete --help promises no prompt it does not give', async () => {
    const help = await cliOk(env, 'rooms', 'delete', '--help');
    expect(help).not.toMatch(/ask for confirmation/);
    expect(help).toContain('confirm the deletion');
  });
});
