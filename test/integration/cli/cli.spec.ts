import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SogsClient } from '../../../src/client';
import { qrPng } from '../../../src/web/qr';
import { createTestContext, type TestContext } from '../../support/context';
import { expectStatus, messageBody } from '../../support/rooms-fixtures';
import { cli, cliOk as runCli, envFor } from './cli-helpers';

// Issue 5: every CLI command, run against real Postgres/Redis/storage, checked through the API
// (onion-wrapped, signed requests via SogsClient).

type RoomJson = Record<string, unknown> & { token: string; name: string };

describe('community-server CLI', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  const tmp = mkdtempSync(join(tmpdir(), 'scs-cli-'));

  beforeAll(async () => {
    ctx = await createTestContext();
    env = envFor(ctx.config, { BASE_URL: 'https://sogs.example.org' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  // The CLI's changes reach the server's caches by notification (ChangeFeed): a write through
  // ctx.prisma waits for the feed, so the next request sees the change (under load it could not).
  const cliOk = async (...args: Parameters<typeof runCli>) => {
    const out = await runCli(...args);
    await ctx.prisma.$executeRaw`SELECT 1`;
    return out;
  };

  const roomAs = async (client: SogsClient, token: string) => {
    const res = await client.get(`/room/${token}`);
    expectStatus(res, 200);
    return res.json<RoomJson>();
  };

  describe('usage and exit codes', () => {
    test('no arguments prints help and exits 2; --help exits 0; unknown commands and options exit 2', async () => {
      const none = await cli(env);
      expect(none.code).toBe(2);
      expect(none.stdout).toContain('Usage: community-server');
      const help = await cli(env, '--help');
      expect(help.code).toBe(0);
      for (const cmd of ['keys', 'rooms', 'mods', 'perms', 'bans', 'messages', 'files', 'probe', 'import']) expect(help.stdout).toContain(cmd);
      expect((await cli(env, 'rooms', 'add', '--help')).stdout).toContain('--name');
      expect((await cli(env, 'frobnicate')).code).toBe(2);
      expect((await cli(env, 'rooms', 'list', '--bogus')).code).toBe(2);
      expect((await cli(env, 'mods', 'add', 'not-a-session-id', '--room', 'x')).code).toBe(2);
      expect((await cli(env, 'rooms', 'add', 'bad token!')).code).toBe(2);
    });

    test('invalid configuration is a usage error naming the variable', async () => {
      const res = await cli({ ...env, PORT: 'eighty' }, 'rooms', 'list');
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('PORT');
    });
  });

  describe('keys show', () => {
    test('--json prints exactly {"x25519_pubkey": "<64 hex>"} of the running server', async () => {
      const out = await cliOk(env, 'keys', 'show', '--json');
      expect(JSON.parse(out)).toEqual({ x25519_pubkey: ctx.serverPubkeyHex });
    });

    test('text form prints the key and a terminal QR code', async () => {
      const out = await cliOk(env, 'keys', 'show');
      expect(out).toContain(`Server public key: ${ctx.serverPubkeyHex}`);
      expect(out).toMatch(/[█▀▄]/);
    });

    test('the built binary (package.json bin) prints the same key', () => {
      const bin = resolve(__dirname, '../../../dist/src/cli/main.js');
      if (!existsSync(bin)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: resolve(__dirname, '../../..'), stdio: 'ignore' });
      const res = spawnSync(process.execPath, [bin, 'keys', 'show', '--json'], { env: { PATH: process.env.PATH, KEY_FILE: ctx.config.KEY_FILE }, encoding: 'utf8' });
      expect(res.status).toBe(0);
      expect(JSON.parse(res.stdout)).toEqual({ x25519_pubkey: ctx.serverPubkeyHex });
      expect(spawnSync(process.execPath, [bin, 'nope'], { encoding: 'utf8' }).status).toBe(2);
    });
  });

  describe('rooms', () => {
    test('rooms add creates a room the API serves; duplicates fail with exit 1', async () => {
      const out = await cliOk(env, 'rooms', 'add', 'lobby', '--name', 'The <Lobby>', '--description', 'first line\\nsecond');
      expect(out).toContain(`Join URL: https://sogs.example.org/lobby?public_key=${ctx.serverPubkeyHex}`);
      const room = await roomAs(ctx.anon(), 'lobby');
      expect(room.name).toBe('The <Lobby>');
      expect(room.description).toBe('first line\nsecond');
      const dup = await cli(env, 'rooms', 'add', 'LOBBY');
      expect(dup.code).toBe(1);
      expect(dup.stderr).toContain('already exists');
      await cliOk(env, 'rooms', 'add', 'plain');
      expect((await roomAs(ctx.anon(), 'plain')).name).toBe('plain');
    });

    test('rooms update renames and re-describes (info_updates bump as through the API)', async () => {
      const before = (await roomAs(ctx.anon(), 'plain')).info_updates as number;
      await cliOk(env, 'rooms', 'update', 'plain', '--name', 'Plain room', '--description', 'about');
      const after = await roomAs(ctx.anon(), 'plain');
      expect(after.name).toBe('Plain room');
      expect(after.description).toBe('about');
      expect(after.info_updates).toBe(before + 2);
      await cliOk(env, 'rooms', 'update', 'plain', '--description', '');
      expect((await roomAs(ctx.anon(), 'plain')).description).toBeUndefined();
      expect((await cli(env, 'rooms', 'update', 'nowhere', '--name', 'x')).code).toBe(1);
    });

    test('rooms image uploads a file and makes it the room image; a file that is not an image is refused', async () => {
      const notImage = join(tmp, 'notes.png');
      writeFileSync(notImage, randomBytes(2000));
      const refused = await cli(env, 'rooms', 'image', 'lobby', notImage);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('must be a PNG, JPEG, GIF or WebP image');
      const image = qrPng('lobby', 64);
      const path = join(tmp, 'logo.png');
      writeFileSync(path, image);
      await cliOk(env, 'rooms', 'image', 'lobby', path);
      const room = await roomAs(ctx.anon(), 'lobby');
      expect(typeof room.image_id).toBe('number');
      const file = await ctx.anon().get(`/room/lobby/file/${room.image_id as number}`);
      expect(file.code).toBe(200);
      expect(file.body.equals(image)).toBe(true);
      expect((await cli(env, 'rooms', 'image', 'lobby', join(tmp, 'missing.png'))).code).toBe(1);
    });

    test('rooms list shows messages, size, files, active users, default permissions, moderators and join URL', async () => {
      const user = ctx.newUser();
      expectStatus(await user.post('/room/lobby/message', messageBody('hello')), 201);
      const listing = JSON.parse(await cliOk(env, 'rooms', 'list', '--json')) as Array<Record<string, unknown>>;
      const lobby = listing.find((r) => r.token === 'lobby')!;
      expect(lobby).toMatchObject({
        name: 'The <Lobby>',
        join_url: `https://sogs.example.org/lobby?public_key=${ctx.serverPubkeyHex}`,
        messages: 1,
        files: 1,
        default_permissions: { read: true, accessible: true, write: true, upload: true },
      });
      expect(lobby.message_bytes).toBeGreaterThan(0);
      expect(lobby.file_bytes).toBe(qrPng('lobby', 64).length);
      expect(lobby.active_users).toEqual(expect.objectContaining({ d1: expect.any(Number), d7: expect.any(Number) }));
      expect(listing.map((r) => r.token)).toEqual(['lobby', 'plain']);
      const text = await cliOk(env, 'rooms', 'list');
      expect(text).toContain('lobby: The <Lobby>');
      expect(text).toContain('default permissions: +read +accessible +write +upload');
    });
  });

  describe('moderators', () => {
    test('mods add --room makes a visible room moderator; --admin an admin; mods remove undoes it', async () => {
      const mod = ctx.newUser();
      await mod.get('/capabilities'); // known to the server
      await cliOk(env, 'mods', 'add', mod.sessionId!, '--room', 'lobby');
      expect(await roomAs(mod, 'lobby')).toMatchObject({ moderator: true });
      expect((await roomAs(ctx.anon(), 'lobby')).moderators).toContain(mod.sessionId);

      await cliOk(env, 'mods', 'add', mod.sessionId!, '--room', 'lobby', '--admin', '--hidden');
      const asAdmin = await roomAs(mod, 'lobby');
      expect(asAdmin).toMatchObject({ moderator: true, admin: true });
      expect((await roomAs(ctx.anon(), 'lobby')).admins).not.toContain(mod.sessionId);
      expect(asAdmin.hidden_admins).toContain(mod.sessionId);

      const listing = JSON.parse(await cliOk(env, 'rooms', 'list', 'lobby', '--json')) as Array<Record<string, string[]>>;
      expect(listing[0].hidden_admins).toContain(mod.sessionId);

      await cliOk(env, 'mods', 'remove', mod.sessionId!, '--room', 'lobby');
      const after = await roomAs(mod, 'lobby');
      expect(after.moderator).toBeUndefined();
      expect(after.admin).toBeUndefined();
    });

    test('mods add --global --admin makes a global admin', async () => {
      const admin = ctx.newUser();
      await cliOk(env, 'mods', 'add', admin.sessionId!, '--global', '--admin');
      expect(await roomAs(admin, 'plain')).toMatchObject({ global_admin: true, admin: true });
      await cliOk(env, 'mods', 'remove', admin.sessionId!, '--global');
      expect((await roomAs(admin, 'plain')).global_admin).toBeUndefined();
    });

    test('a 05 id resolves to its blinded id once that user shows up (protocol §2.4)', async () => {
      const seed = new Uint8Array(randomBytes(32));
      const unblinded = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed, blind: false });
      const blinded = new SogsClient({ baseUrl: ctx.url, serverPubkey: ctx.serverPubkeyHex, seed, blind: true });
      expect(unblinded.sessionId!.startsWith('05')).toBe(true);
      // Never seen blinded yet: recorded for the blinded id's first request.
      await cliOk(env, 'mods', 'add', unblinded.sessionId!, '--room', 'lobby');
      expect(await roomAs(blinded, 'lobby')).toMatchObject({ moderator: true });
      // Now the blinded user exists: a later 05 command acts on it directly.
      await cliOk(env, 'mods', 'remove', unblinded.sessionId!, '--room', 'lobby');
      expect((await roomAs(blinded, 'lobby')).moderator).toBeUndefined();
    });

    test('mods need --room or --global (usage error)', async () => {
      expect((await cli(env, 'mods', 'add', ctx.newUser().sessionId!)).code).toBe(2);
      expect((await cli(env, 'mods', 'add', ctx.newUser().sessionId!, '--room', 'lobby', '--global')).code).toBe(2);
    });
  });

  describe('bans', () => {
    test('bans add --room blocks the user in that room; bans remove lifts it', async () => {
      const user = ctx.newUser();
      expectStatus(await user.get('/room/lobby/messages/recent'), 200);
      await cliOk(env, 'bans', 'add', user.sessionId!, '--room', 'lobby');
      expect((await user.get('/room/lobby/messages/recent')).code).toBe(403);
      expect((await user.get('/room/plain/messages/recent')).code).toBe(200);
      await cliOk(env, 'bans', 'remove', user.sessionId!, '--room', 'lobby');
      expect((await user.get('/room/lobby/messages/recent')).code).toBe(200);
    });

    test('bans add --global --duration bans everywhere and schedules the unban', async () => {
      const user = ctx.newUser();
      await user.get('/capabilities');
      await cliOk(env, 'bans', 'add', user.sessionId!, '--global', '--duration', '2h');
      expect((await user.get('/room/plain/messages/recent')).code).toBe(403);
      const futures = await ctx.prisma.userBanFuture.findMany({ where: { user: { sessionId: user.sessionId! }, roomId: null } });
      expect(futures).toHaveLength(1);
      expect(futures[0].at - Date.now() / 1000).toBeGreaterThan(7000);
      expect((await cli(env, 'bans', 'add', user.sessionId!, '--global', '--duration', 'soon')).code).toBe(2);
      await cliOk(env, 'bans', 'remove', user.sessionId!, '--global');
      expect((await user.get('/room/plain/messages/recent')).code).toBe(200);
    });
  });

  describe('permissions', () => {
    test('perms set/clear change room defaults', async () => {
      await cliOk(env, 'perms', 'set', '--room', 'plain', '--no-write', '--no-upload');
      const user = ctx.newUser();
      expect(await roomAs(user, 'plain')).toMatchObject({ read: true, write: false, upload: false });
      await cliOk(env, 'perms', 'clear', '--room', 'plain');
      expect(await roomAs(user, 'plain')).toMatchObject({ read: true, write: true, upload: true });
      expect((await cli(env, 'perms', 'set', '--room', 'plain')).code).toBe(2);
    });

    test('perms set --user overrides one user; --in schedules; perms clear --user restores the default', async () => {
      const user = ctx.newUser();
      await cliOk(env, 'perms', 'set', '--room', 'plain', '--user', user.sessionId!, '--no-write');
      expect(await roomAs(user, 'plain')).toMatchObject({ write: false });
      expect(await roomAs(ctx.newUser(), 'plain')).toMatchObject({ write: true });
      expectStatus(await user.post('/room/plain/message', messageBody()), 403);

      await cliOk(env, 'perms', 'set', '--room', 'plain', '--user', user.sessionId!, '--write', '--in', '1h');
      const futures = await ctx.prisma.userPermissionFuture.findMany({ where: { user: { sessionId: user.sessionId! } } });
      expect(futures).toHaveLength(1);
      expect(futures[0].write).toBe(true);

      await cliOk(env, 'perms', 'clear', '--room', 'plain', '--user', user.sessionId!, '--write');
      expect(await roomAs(user, 'plain')).toMatchObject({ write: true });
    });
  });

  describe('messages purge', () => {
    test('deletes a user’s messages in one room, then in every room', async () => {
      const user = ctx.newUser();
      for (const token of ['lobby', 'lobby', 'plain']) expectStatus(await user.post(`/room/${token}/message`, messageBody()), 201);
      const mine = async (token: string) =>
        (await ctx.anon().get(`/room/${token}/messages/recent`)).json<Array<{ session_id: string }>>().filter((m) => m.session_id === user.sessionId);
      expect(await mine('lobby')).toHaveLength(2);
      expect(await cliOk(env, 'messages', 'purge', user.sessionId!, 'lobby')).toContain('Deleted 2 message(s)');
      expect(await mine('lobby')).toHaveLength(0);
      expect(await mine('plain')).toHaveLength(1);
      await cliOk(env, 'messages', 'purge', user.sessionId!);
      expect(await mine('plain')).toHaveLength(0);
    });
  });

  describe('files', () => {
    test('files list by room/user/age and files delete by id and by filter', async () => {
      const user = ctx.newUser();
      const upload = async (bytes: Buffer) => {
        const res = await user.request({ method: 'POST', path: '/room/plain/file', body: bytes, headers: { 'Content-Disposition': 'attachment; filename="a.bin"' } });
        expectStatus(res, 201);
        return res.json<{ id: number }>().id;
      };
      const a = await upload(randomBytes(100));
      const b = await upload(randomBytes(200));
      const listed = JSON.parse(await cliOk(env, 'files', 'list', '--room', 'plain', '--user', user.sessionId!, '--json')) as Array<{ id: number; size: number }>;
      expect(listed.map((f) => f.id).sort()).toEqual([a, b].sort());
      expect(JSON.parse(await cliOk(env, 'files', 'list', '--user', user.sessionId!, '--older-than', '1h', '--json'))).toEqual([]);
      expect(await cliOk(env, 'files', 'list', '--room', 'plain')).toContain('a.bin');

      await cliOk(env, 'files', 'delete', String(a));
      expect((await user.get(`/room/plain/file/${a}`)).code).toBe(404);
      expect((await user.get(`/room/plain/file/${b}`)).code).toBe(200);

      expect((await cli(env, 'files', 'delete', '--user', user.sessionId!)).code).toBe(2); // needs --yes
      await cliOk(env, 'files', 'delete', '--user', user.sessionId!, '--yes');
      expect((await user.get(`/room/plain/file/${b}`)).code).toBe(404);
      expect(await ctx.prisma.file.count({ where: { id: { in: [a, b] } } })).toBe(0);
    });
  });

  describe('probe', () => {
    test('sends an onion request to the running server and prints its capabilities', async () => {
      const out = await cliOk(env, 'probe', `${ctx.url}/lobby?public_key=${ctx.serverPubkeyHex}`);
      expect(out).toContain('HTTP 200');
      expect(out).toMatch(/capabilities: .*sogs/);
      const json = JSON.parse(await cliOk(env, 'probe', ctx.url, '--pubkey', ctx.serverPubkeyHex, '--v3', '--json')) as { code: number };
      expect(json.code).toBe(200);
      expect((await cli(env, 'probe', ctx.url)).code).toBe(1); // no key
    });
  });

  describe('rooms delete', () => {
    test('needs --yes, then removes the room and its files', async () => {
      const imageId = (await roomAs(ctx.anon(), 'lobby')).image_id as number;
      expect((await cli(env, 'rooms', 'delete', 'lobby')).code).toBe(2);
      await cliOk(env, 'rooms', 'delete', 'lobby', '--yes');
      expect((await ctx.anon().get('/room/lobby')).code).toBe(404);
      expect(await ctx.prisma.file.count({ where: { id: imageId } })).toBe(0);
      expect((await cli(env, 'rooms', 'delete', 'lobby', '--yes')).code).toBe(1);
    });
  });
});
