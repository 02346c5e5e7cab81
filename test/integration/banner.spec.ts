import { startupBannerOf } from '../../src/server';
import { createTestContext, type TestContext } from '../support/context';
import { cliOk, envFor } from './cli/cli-helpers';

// Issue 21 item 4: after the start, a short banner says where the page is, the key, and how to join or add a room.
describe('start-up banner', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test('without rooms: the page, the admin port, the key, the command that adds a room, and the BASE_URL warning', async () => {
    const banner = await startupBannerOf(ctx.server, ctx.config);
    expect(banner).toContain(`Web page:    http://localhost:0/ (listening on ${ctx.url})`);
    expect(banner).toContain(`Admin port:  ${ctx.adminUrl} (/healthz, /readyz, /metrics)`);
    expect(banner).toContain(`Public key:  ${ctx.serverPubkeyHex}`);
    expect(banner).toContain('No rooms yet. Add one with: npm run cli -- rooms add lobby --name "Lobby"');
    expect(banner).toMatch(/Warning: BASE_URL is not set/);
    expect(banner.split('\n').length).toBeLessThan(10);
  });

  test("with rooms and BASE_URL: each room's join URL, no warning", async () => {
    await cliOk(envFor(ctx.config), 'rooms', 'add', 'lobby');
    const banner = await startupBannerOf(ctx.server, { ...ctx.config, BASE_URL: 'https://sogs.example.org' });
    expect(banner).toContain(`Join lobby: https://sogs.example.org/lobby?public_key=${ctx.serverPubkeyHex}`);
    expect(banner).not.toContain('Warning');
    expect(banner).not.toContain('No rooms yet');
  });
});
