import { statSync } from 'node:fs';
import { join } from 'node:path';
import { BotsService } from '../../../src/bots/bots.service';
import { createTestContext, type TestContext } from '../../support/context';
import { cli, cliOk, envFor } from './cli-helpers';

// issue 16 item 6: `bots add|show|list`. The key is the server's identity for the bot: the id the
// CLI prints is the one the running server posts as.

describe('community-server bots', () => {
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ctx = await createTestContext();
    env = envFor(ctx.config);
  });
  afterAll(() => ctx?.close());

  test('add creates a 0600 key; show and list print the blinded id the server uses', async () => {
    const added = JSON.parse(await cliOk(env, 'bots', 'add', 'helper', '--display-name', 'Helper Bot', '--json')) as { session_id: string };
    expect(added).toEqual({ name: 'helper', display_name: 'Helper Bot', session_id: expect.stringMatching(/^15[0-9a-f]{64}$/) });
    expect(statSync(join(ctx.config.BOTS_DIR, 'helper.key')).mode & 0o777).toBe(0o600);
    expect(ctx.server.app.get(BotsService).identity('helper').sessionId).toBe(added.session_id);
    expect(await cliOk(env, 'bots', 'show', 'helper')).toBe(`helper\t${added.session_id}\tHelper Bot\n`);
    expect(JSON.parse(await cliOk(env, 'bots', 'list', '--json'))).toEqual([added]);
  });

  test('a taken name, a bad name, an unknown bot and a missing display name fail with a reason', async () => {
    await cliOk(env, 'bots', 'add', 'twice', '--display-name', 'Twice');
    const again = await cli(env, 'bots', 'add', 'twice', '--display-name', 'Twice');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect((await cli(env, 'bots', 'add', 'Bad Name', '--display-name', 'x')).stderr).toContain('must be 1-32');
    expect((await cli(env, 'bots', 'show', 'nobody')).stderr).toContain('No bot named "nobody"');
    expect((await cli(env, 'bots', 'add', 'anon')).code).toBe(2);
  });
});
