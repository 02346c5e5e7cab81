import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { freePort } from '../../bench/server-process';
import { SogsClient } from '../../src/client';
import type { AppConfig } from '../../src/config/config';
import { createTestContext, type TestContext } from '../support/context';
import { createRoom, messageBody, type PostedMessage } from '../support/rooms-fixtures';
import { eventually } from '../support/eventually';
import { patternBytes, StoredObjects } from '../integration/files/stored-objects';

// Several replicas are safe (issue 6 item 4, DESIGN "Deployment"): two API processes and one worker
// process, real `node dist/src/main.js` processes as the image runs them (ROLE=api / ROLE=worker),
// on one PostgreSQL database, one Redis prefix and one S3 bucket (s3rver). Everything shared lives
// there, so posts, polls, uploads, nonces, rate limits and file expiry must agree across processes.

// Generous: three Node processes start at once on a 2-core machine that runs other suites too.
jest.setTimeout(240_000);
const START_TIMEOUT_MS = 90_000;

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const UPLOAD_EXPIRY = 3;

interface Replica {
  role: 'api' | 'worker';
  url: string;
  adminUrl: string;
  child: ChildProcess;
  output: string[];
}

/** The environment a container would get: the test context's settings as variables. */
function environment(config: AppConfig, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_ENV: 'production' };
  for (const [name, value] of Object.entries(config)) if (value !== undefined && value !== null) env[name] = String(value);
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

/** Every process spawned here, stopped in afterAll even when a start failed half-way. */
const spawned: Replica[] = [];

async function startProcess(config: AppConfig, role: Replica['role']): Promise<Replica> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: environment(config, { ROLE: role, HOST: '127.0.0.1', PORT: String(port), ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(adminPort) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const replica = { role, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, child, output };
  spawned.push(replica);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${role} process exited with ${child.exitCode}:\n${output.join('')}`);
    const ready = await fetch(`${replica.adminUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return replica;
    if (Date.now() > deadline) throw new Error(`${role} process not ready after ${START_TIMEOUT_MS / 1000} s:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopProcess(replica: Replica): Promise<void> {
  if (replica.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => replica.child.once('exit', () => resolve()));
  replica.child.kill('SIGTERM');
  const timer = setTimeout(() => replica.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

describe('two API processes and one worker on one PostgreSQL, Redis and S3', () => {
  let ctx: TestContext;
  let apiA: Replica;
  let apiB: Replica;
  let worker: Replica;
  let queueEvents: QueueEvents;
  const completed: string[] = [];
  const failed: string[] = [];

  /** One identity, one client per API process. */
  const identity = (): [SogsClient, SogsClient] => {
    const seed = new Uint8Array(randomBytes(32));
    const make = (url: string) => new SogsClient({ baseUrl: url, serverPubkey: ctx.serverPubkeyHex, seed });
    return [make(apiA.url), make(apiB.url)];
  };

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    // The context's own in-process server is one more API replica (ROLE=api: no job processors), so
    // the worker process below is the only one that runs jobs.
    ctx = await createTestContext({
      config: { ROLE: 'api', STORAGE_DRIVER: 's3', FILE_UPLOAD_EXPIRY: UPLOAD_EXPIRY, FILE_SERVER_MAX_TTL: 60 },
    });
    [apiA, apiB, worker] = await Promise.all([startProcess(ctx.config, 'api'), startProcess(ctx.config, 'api'), startProcess(ctx.config, 'worker')]);
    queueEvents = new QueueEvents('files', { connection: { url: ctx.config.REDIS_URL }, prefix: `${ctx.config.REDIS_PREFIX}bull` });
    queueEvents.on('completed', ({ jobId }) => completed.push(jobId));
    queueEvents.on('failed', ({ jobId, failedReason }) => failed.push(`${jobId}: ${failedReason}`));
    await queueEvents.waitUntilReady();
    await createRoom(ctx, 'lobby');
  });

  afterAll(async () => {
    await queueEvents?.close();
    await Promise.all(spawned.map(stopProcess));
    await ctx?.close();
  });

  it('the worker process serves no public requests; the API processes do', async () => {
    expect(worker.child.exitCode).toBeNull();
    const [alice] = identity();
    expect((await alice.get('/capabilities')).code).toBe(200);
    const toWorker = new SogsClient({ baseUrl: worker.url, serverPubkey: ctx.serverPubkeyHex, timeoutMs: 2000 });
    await expect(toWorker.get('/capabilities')).rejects.toThrow();
  });

  it('a message posted through one API process is in the next since-poll through the other, both ways', async () => {
    const [aliceA, aliceB] = identity();
    const [bobA, bobB] = identity();
    const first = await aliceA.post('/room/lobby/message', messageBody('via A'));
    expect(first.code).toBe(201);
    const m1 = first.json<PostedMessage>();
    const polledB = await bobB.get(`/room/lobby/messages/since/${m1.seqno - 1}`);
    expect(polledB.code).toBe(200);
    expect(polledB.json<PostedMessage[]>().map((m) => m.id)).toEqual([m1.id]);
    const second = await aliceB.post('/room/lobby/message', messageBody('via B'));
    expect(second.code).toBe(201);
    const m2 = second.json<PostedMessage>();
    expect(m2.seqno).toBeGreaterThan(m1.seqno);
    const polledA = await bobA.get(`/room/lobby/messages/since/${m1.seqno}`);
    expect(polledA.json<PostedMessage[]>().map((m) => m.id)).toEqual([m2.id]);
  });

  it('a nonce used through one API process is refused through the other (425); an identical retry gets the original reply', async () => {
    const [aliceA, aliceB] = identity();
    const nonce = new Uint8Array(randomBytes(16));
    const timestamp = Math.floor(Date.now() / 1000);
    const body = messageBody('once');
    const original = await aliceA.request({ method: 'POST', path: '/room/lobby/message', json: body, nonce, timestamp });
    expect(original.code).toBe(201);
    // Same nonce, another request: a replay, whichever process sees it.
    const replay = await aliceB.request({ method: 'GET', path: '/room/lobby', nonce, timestamp });
    expect(replay.code).toBe(425);
    // The very same signed request again (a client's retry) through the other process: the original
    // reply, and no second message.
    const retry = await aliceB.request({ method: 'POST', path: '/room/lobby/message', json: body, nonce, timestamp });
    expect(retry.code).toBe(201);
    expect(retry.json<PostedMessage>().id).toBe(original.json<PostedMessage>().id);
    expect(await ctx.prisma.message.count({ where: { signature: Buffer.from(body.signature, 'base64') } })).toBe(1);
  });

  it('the post rate limit holds across processes: the 6th post within the window is 429 wherever it lands', async () => {
    await createRoom(ctx, 'busy');
    const [aliceA, aliceB] = identity();
    const clients = [aliceA, aliceB, aliceA, aliceB, aliceA];
    for (const client of clients) expect((await client.post('/room/busy/message', messageBody())).code).toBe(201);
    const sixth = await aliceB.post('/room/busy/message', messageBody());
    expect(sixth.code).toBe(429);
    const seventh = await aliceA.post('/room/busy/message', messageBody());
    expect(seventh.code).toBe(429);
  });

  it("a room's slow mode and quotas hold across processes (issue 15): counted in Redis, both blinded forms one user", async () => {
    await createRoom(ctx, 'slow');
    await createRoom(ctx, 'quota');
    // Set before any process has read the rooms, so none holds an older copy in its room cache.
    await ctx.prisma.room.update({ where: { token: 'slow' }, data: { policy: { slowMode: { posts: 1, seconds: 60 } } } });
    await ctx.prisma.room.update({ where: { token: 'quota' }, data: { policy: { quotas: { postsPerDay: 3, uploadBytesPerDay: 0, reactionsPerMinute: 0 } } } });
    const [aliceA, aliceB] = identity();
    expect((await aliceA.post('/room/slow/message', messageBody())).code).toBe(201);
    const slow = await aliceB.post('/room/slow/message', messageBody());
    expect([slow.code, slow.text()]).toEqual([429, expect.stringContaining('Slow mode')]);

    const [bobA, bobB] = identity();
    const twin = new SogsClient({ baseUrl: apiB.url, serverPubkey: ctx.serverPubkeyHex, seed: bobA.seed!, negatedBlindKey: true });
    for (const client of [bobA, bobB, twin]) expect((await client.post('/room/quota/message', messageBody())).code).toBe(201);
    for (const client of [bobA, bobB, twin]) {
      const refused = await client.post('/room/quota/message', messageBody());
      expect([refused.code, refused.text()]).toEqual([429, expect.stringContaining('at most 3 posts per day in this room')]);
    }
  });

  it('uploads through either process download byte-equal through the other', async () => {
    const [aliceA, aliceB] = identity();
    const content = patternBytes(300_000, 3);
    const up = await aliceA.request({ method: 'POST', path: '/room/lobby/file', body: content, headers: { 'Content-Disposition': 'attachment; filename="a.bin"' } });
    expect(up.code).toBe(201);
    const { id } = up.json<{ id: number }>();
    const down = await aliceB.get(`/room/lobby/file/${id}`);
    expect(down.code).toBe(200);
    expect(down.body.equals(content)).toBe(true);
    const fsUp = await aliceB.request({ method: 'POST', path: '/file', body: content });
    expect(fsUp.code).toBe(200);
    const fsDown = await aliceA.get(`/file/${fsUp.json<{ id: string }>().id}`);
    expect(fsDown.code).toBe(200);
    expect(fsDown.body.equals(content)).toBe(true);
  });

  it('each expiring file is expired exactly once by the worker: not twice, not never', async () => {
    const [aliceA, aliceB] = identity();
    const stored = new StoredObjects(ctx.config);
    // A room upload through A (unattached: expires after FILE_UPLOAD_EXPIRY) and a file-server upload
    // through B with a short TTL.
    const room = await aliceA.request({
      method: 'POST',
      path: '/room/lobby/file',
      body: patternBytes(50_000, 5),
      headers: { 'Content-Disposition': 'attachment; filename="x.bin"' },
    });
    expect(room.code).toBe(201);
    const roomFileId = room.json<{ id: number }>().id;
    const server = await aliceB.request({ method: 'POST', path: '/file', body: patternBytes(40_000, 6), headers: { 'X-FS-TTL': String(UPLOAD_EXPIRY) } });
    expect(server.code).toBe(200);
    const serverFileId = server.json<{ id: string }>().id;
    const roomRow = await ctx.prisma.file.findUniqueOrThrow({ where: { id: roomFileId } });
    const serverRow = await ctx.prisma.serverFile.findUniqueOrThrow({ where: { id: serverFileId } });
    expect(await stored.read(roomRow.objectKey)).not.toBeNull();
    expect(await stored.read(serverRow.objectKey)).not.toBeNull();

    // Never: rows and objects are gone soon after the expiry, by the worker process alone.
    await eventually(
      async () => !(await ctx.prisma.file.findUnique({ where: { id: roomFileId } })) && !(await ctx.prisma.serverFile.findUnique({ where: { id: serverFileId } })),
      40_000,
      'both files to be expired',
    );
    await eventually(async () => (await stored.read(roomRow.objectKey)) === null && (await stored.read(serverRow.objectKey)) === null, 20_000, 'both objects to be deleted');
    expect((await aliceB.get(`/room/lobby/file/${roomFileId}`)).code).toBe(404);
    expect((await aliceA.get(`/file/${serverFileId}`)).code).toBe(404);

    // Not twice: one expiry job per file ran to completion, none failed, and none runs again later.
    await new Promise((r) => setTimeout(r, 2_000));
    const runs = (jobId: string) => completed.filter((id) => id === jobId).length;
    expect(runs(`file-expiry-room-${roomFileId}`)).toBe(1);
    expect(runs(`file-expiry-server-${serverFileId}`)).toBe(1);
    expect(failed).toEqual([]);
    expect(worker.child.exitCode).toBeNull();
  });
});
