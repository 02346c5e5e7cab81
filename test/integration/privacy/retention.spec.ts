import { randomBytes } from 'node:crypto';
import type { SogsClient, SogsRequest } from '../../../src/client';
import { FilesService } from '../../../src/files/files.service';
import { InboxService } from '../../../src/inbox/inbox.service';
import { RoomsService } from '../../../src/rooms/rooms.service';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom, messageBody, userOf } from '../../support/rooms-fixtures';

// Issue 20 item 4: everything that identifies has a retention (a config value) and a job that
// enforces it; each is reached here with ctx.clock.advance, just before and just after.
const DAY = 86400;
let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
  await createRoom(ctx, 'kept');
});
afterAll(() => ctx?.close());

/** A signed request at the test clock's time (the clock runs ahead of the client's own). */
async function send(user: SogsClient, req: SogsRequest, expected: number) {
  const res = await user.request({ ...req, timestamp: Math.floor(ctx.clock.seconds()) });
  if (res.code !== expected) throw new Error(`${req.method} ${req.path}: ${res.code} ${res.text()}`);
  return res;
}
const advance = (seconds: number) => ctx.clock.advance(seconds * 1000);

it('files.uploader: forgotten FILE_UPLOADER_RETENTION after the upload; the attached file stays', async () => {
  const files = ctx.server.app.get(FilesService, { strict: false });
  const alice = ctx.newUser();
  const id = (await send(alice, { method: 'POST', path: '/room/kept/file', body: randomBytes(32) }, 201)).json<{ id: number }>().id;
  await send(alice, { method: 'POST', path: '/room/kept/message', json: { ...messageBody(), files: [id] } }, 201);
  const uploader = async () => (await ctx.prisma.file.findUniqueOrThrow({ where: { id } })).uploaderId;
  expect(await uploader()).toBe((await userOf(ctx, alice)).id);

  advance(ctx.config.FILE_UPLOADER_RETENTION - 60);
  await files.forgetUploaders();
  expect(await uploader()).not.toBeNull();
  advance(120);
  expect(await files.forgetUploaders()).toBeGreaterThanOrEqual(1);
  expect(await uploader()).toBeNull();
  expect(await ctx.prisma.file.count({ where: { uploaderId: { not: null }, uploaded: { lt: ctx.clock.seconds() - ctx.config.FILE_UPLOADER_RETENTION } } })).toBe(0);
  // The file itself is the message's and is still served.
  expect((await send(ctx.newUser(), { method: 'GET', path: `/room/kept/file/${id}` }, 200)).body.length).toBe(32);
  process.stdout.write(`privacy: files.uploader forgotten after FILE_UPLOADER_RETENTION=${ctx.config.FILE_UPLOADER_RETENTION}s, file still served\n`);
});

it('DMs: after DM_EXPIRY the job deletes the row; nothing says who wrote to whom', async () => {
  const inbox = ctx.server.app.get(InboxService, { strict: false });
  const [alice, bob] = [ctx.newUser(), ctx.newUser()];
  await send(alice, { method: 'GET', path: '/inbox' }, 200);
  await send(bob, { method: 'POST', path: `/inbox/${alice.sessionId}`, json: { message: randomBytes(40).toString('base64') } }, 201);
  const [a, b] = [(await userOf(ctx, alice)).id, (await userOf(ctx, bob)).id];
  const between = () =>
    ctx.prisma.inboxMessage.count({ where: { OR: [{ senderId: b }, { recipientId: a }, { senderSessionId: bob.sessionId }, { recipientSessionId: alice.sessionId }] } });
  expect(await between()).toBe(1);

  advance(ctx.config.DM_EXPIRY - 60);
  await inbox.expireMessages();
  expect(await between()).toBe(1);
  advance(120);
  expect(await inbox.expireMessages()).toBeGreaterThanOrEqual(1);
  // No tombstone: no row of any kind is left with the sender or the recipient.
  expect(await between()).toBe(0);
});

it('edit history: earlier versions are deleted HISTORY_PRUNE_THRESHOLD after they were replaced', async () => {
  const rooms = ctx.server.app.get(RoomsService, { strict: false });
  const alice = ctx.newUser();
  const { id } = (await send(alice, { method: 'POST', path: '/room/kept/message', json: messageBody() }, 201)).json<{ id: number }>();
  await send(alice, { method: 'PUT', path: `/room/kept/message/${id}`, json: messageBody('edited') }, 200);
  const history = () => ctx.prisma.messageHistory.count({ where: { messageId: id } });
  expect(await history()).toBe(1);

  expect(ctx.config.HISTORY_PRUNE_THRESHOLD).toBeLessThanOrEqual(7 * DAY);
  advance(ctx.config.HISTORY_PRUNE_THRESHOLD - 60);
  await rooms.pruneHistory();
  expect(await history()).toBe(1);
  advance(120);
  expect(await rooms.pruneHistory()).toBeGreaterThanOrEqual(1);
  expect(await history()).toBe(0);
});
