import { randomBytes } from 'node:crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { cli, cliOk, envFor } from './cli-helpers';

// Issue 21 item 7: mods and bans say what is true of each room and each id; several ids per command
// (as the reference CLI's --add-moderators SID…); mods list, global and per room.

const sid = () => `05${randomBytes(32).toString('hex')}`;

describe('CLI mods and bans: messages that are true, several ids, mods list', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ctx = await createTestContext();
    env = envFor(ctx.config);
    await cliOk(env, 'rooms', 'add', 'hall', '--name', 'Hall');
    await cliOk(env, 'rooms', 'add', 'annex', '--name', 'Annex');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const listing = async (token: string) => {
    const [room] = JSON.parse(await cliOk(env, 'rooms', 'list', token, '--json')) as Array<{ admins: string[]; moderators: string[] }>;
    return room;
  };

  test('mods add takes several ids; an admin made "moderator" is said to stay admin, and stays admin', async () => {
    const [a, b] = [sid(), sid()];
    expect(await cliOk(env, 'mods', 'add', a, b, '--room', 'hall')).toBe(`${a} is now a moderator in hall\n${b} is now a moderator in hall\n`);
    expect(await cliOk(env, 'mods', 'add', a, '--room', 'hall', '--room', 'annex', '--admin')).toBe(`${a} is now an admin in annex, hall\n`);
    expect(await cliOk(env, 'mods', 'add', a, '--room', 'hall')).toBe(`${a} is already an admin in hall (admins are moderators too; nothing changed)\n`);
    expect(await cliOk(env, 'mods', 'add', b, '--room', 'hall')).toBe(`${b} was already a moderator in hall\n`);
    expect((await listing('hall')).admins).toContain(a);

    const never = sid();
    expect(await cliOk(env, 'mods', 'remove', never, b, '--room', 'hall')).toBe(`${never} was not a moderator or admin in hall\n${b} is no longer a moderator in hall\n`);
  });

  test('one bad id among several changes nothing', async () => {
    const a = sid();
    const res = await cli(env, 'mods', 'add', a, 'not-an-id', '--room', 'hall');
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect((await listing('hall')).moderators).not.toContain(a);
  });

  test('bans add on a room admin says the ban removes admin status there; bans remove on someone never banned says so', async () => {
    const [admin, plain] = [sid(), sid()];
    await cliOk(env, 'mods', 'add', admin, '--room', 'annex', '--admin');
    expect(await cliOk(env, 'bans', 'add', admin, plain, '--room', 'annex')).toBe(
      `${admin} is banned in annex\n${admin} was an admin in annex: the ban removed that status there (mods add restores it once the ban is lifted)\n${plain} is banned in annex\n`,
    );
    expect((await listing('annex')).admins).not.toContain(admin);

    const never = sid();
    expect(await cliOk(env, 'bans', 'remove', admin, never, '--room', 'annex')).toBe(`${admin} is unbanned in annex\n${never} was not banned in annex (nothing to lift)\n`);
    expect(await cliOk(env, 'bans', 'remove', plain, '--global')).toBe(`${plain} was not banned globally (nothing to lift)\n`);
    await cliOk(env, 'bans', 'add', plain, '--global');
    expect(await cliOk(env, 'bans', 'remove', plain, '--global')).toBe(`${plain} is unbanned globally\n`);
  });

  test('mods list: global and per-room moderators, --room keeps global ones, --global only those', async () => {
    const [global, roomAdmin, roomMod] = [sid(), sid(), sid()];
    await cliOk(env, 'mods', 'add', global, '--global');
    await cliOk(env, 'mods', 'add', roomAdmin, '--room', 'hall', '--admin', '--hidden');
    await cliOk(env, 'mods', 'add', roomMod, '--room', 'annex');
    type Row = { session_id: string; room: string | null; admin: boolean; visible: boolean };
    const list = async (...args: string[]) =>
      (JSON.parse(await cliOk(env, 'mods', 'list', '--json', ...args)) as Row[]).filter((r) => [global, roomAdmin, roomMod].includes(r.session_id));

    expect(await list()).toEqual([
      { session_id: global, room: null, admin: false, visible: false },
      { session_id: roomMod, room: 'annex', admin: false, visible: true },
      { session_id: roomAdmin, room: 'hall', admin: true, visible: false },
    ]);
    expect((await list('--room', 'hall')).map((r) => r.session_id)).toEqual([global, roomAdmin]);
    expect((await list('--global')).map((r) => r.session_id)).toEqual([global]);
    const text = await cliOk(env, 'mods', 'list', '--room', 'annex');
    expect(text).toMatch(new RegExp(`${roomMod}\\s+annex\\s+moderator\\s+visible`));
    expect((await cli(env, 'mods', 'list', '--room', 'nosuch')).stderr).toBe('Error: No such room: nosuch\n');
  });
});
