import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Client as Minio } from 'minio';
import { SogsClient } from '../../src/client';
import { JobName, QueueName } from '../../src/jobs/job-names';
import { JobsService } from '../../src/jobs/jobs.service';
import { PrismaService } from '../../src/database/prisma.service';
import type { RunningServer } from '../../src/server';
import { createTestContext, type TestContext } from '../support/context';
import { createRoom, messageBody } from '../support/rooms-fixtures';
import { OwnRedis, OwnS3, TcpProxy } from './dependencies';
import { eventually } from '../support/eventually';

// Issue 8 item 3: PostgreSQL, Redis and S3 go away and come back while a bounded load of posts,
// polls and uploads runs. Requests that cannot be served get 503 with a reason (never 500, never a
// hang past the client timeout); the server recovers by itself; every acknowledged (201) message and
// file is retrievable afterwards; seqnos stay unique and increasing; no orphan object or row remains
// after the next sweep. A worker that dies mid-job has its job retried and completed.
jest.setTimeout(180_000);

const ROOM = 'faults';
const REQUEST_TIMEOUT_MS = 15_000;
const OUTAGE_MS = 3000;
const RECOVERY_LIMIT_MS = 30_000;

const redis = new OwnRedis();
const s3 = new OwnS3();
/** The servers' storage: this spec's own S3-protocol server (it stops and starts it). */
const storage = () => ({ STORAGE_DRIVER: 's3' as const, S3_ENDPOINT: s3.endpoint, S3_BUCKET: 'faults', S3_ACCESS_KEY: 'S3RVER', S3_SECRET_KEY: 'S3RVER' });
let proxy: TcpProxy;
let ctx: TestContext;
let server: RunningServer;

beforeAll(async () => {
  await Promise.all([redis.start(), s3.start()]);
  // The context's own server is only a bystander on the shared services (no workers); the server
  // under test is a replica on the same database reached through the proxy, on our Redis and S3.
  ctx = await createTestContext({ config: { ROLE: 'api' } });
  await createRoom(ctx, ROOM);
  const pg = new URL(ctx.databaseUrl);
  proxy = new TcpProxy(pg.hostname, Number(pg.port || 5432));
  await proxy.start();
  const proxied = new URL(ctx.databaseUrl);
  proxied.host = `127.0.0.1:${proxy.port}`;
  // ROLE api: no workers on this Redis, so the worker test below decides who takes its job.
  server = await ctx.startReplica({
    ROLE: 'api',
    DATABASE_URL: proxied.toString(),
    REDIS_URL: redis.url,
    ...storage(),
    S3_PATH_STYLE: true,
    RATE_LIMIT_POSTS: 0,
    JOB_LOCK_DURATION: 1,
  });
});
afterAll(async () => {
  await ctx?.close();
  await proxy?.close();
  await Promise.all([redis.close(), s3.close()]);
});

const client = () => new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed: new Uint8Array(randomBytes(32)), timeoutMs: REQUEST_TIMEOUT_MS });

interface Outcome {
  op: string;
  phase: string;
  code: number | 'timeout' | 'client-error';
  reason: string;
}
interface AckedPost {
  id: number;
  seqno: number;
  data: string;
}
interface AckedFile {
  id: number;
  sha256: string;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

it('PostgreSQL, Redis and S3 outages under load: 503s with a reason, self-recovery, nothing acknowledged lost', async () => {
  const outcomes: Outcome[] = [];
  const posts: AckedPost[] = [];
  const files: AckedFile[] = [];
  let phase = 'baseline';
  let running = true;

  async function attempt(op: string, run: () => Promise<{ code: number; text(): string }>): Promise<number | null> {
    const at = phase;
    try {
      const res = await run();
      outcomes.push({ op, phase: at, code: res.code, reason: res.code >= 400 ? res.text().slice(0, 120) : '' });
      return res.code;
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError' || /timeout|aborted/i.test((err as Error).message);
      outcomes.push({ op, phase: at, code: timeout ? 'timeout' : 'client-error', reason: (err as Error).message });
      return null;
    }
  }

  async function actor(): Promise<void> {
    const me = client();
    const anon = new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, timeoutMs: REQUEST_TIMEOUT_MS });
    let n = 0;
    while (running) {
      const kind = n++ % 4;
      if (kind === 0 || kind === 2) {
        const body = messageBody();
        let acked: AckedPost | null = null;
        await attempt('post', async () => {
          const res = await me.post(`/room/${ROOM}/message`, body);
          if (res.code === 201) acked = { ...res.json<{ id: number; seqno: number }>(), data: body.data };
          return res;
        });
        if (acked) posts.push(acked);
      } else if (kind === 1) {
        await attempt('poll', () => (n % 8 === 1 ? anon : me).get(`/room/${ROOM}/messages/since/${Math.max(0, posts.length - 5)}?t=r`));
      } else {
        const bytes = randomBytes(2000 + (n % 7) * 1000);
        await attempt('upload', async () => {
          const res = await me.request({ method: 'POST', path: `/room/${ROOM}/file`, body: bytes });
          if (res.code === 201) files.push({ id: res.json<{ id: number }>().id, sha256: sha(bytes) });
          return res;
        });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const probe = client();
  async function recovered(): Promise<number> {
    return eventually(
      async () =>
        (await probe.post(`/room/${ROOM}/message`, messageBody())).code === 201 &&
        (await probe.request({ method: 'POST', path: `/room/${ROOM}/file`, body: randomBytes(10) })).code === 201,
      RECOVERY_LIMIT_MS,
      `recovery after ${phase}`,
    );
  }

  const faults: Array<[string, () => Promise<void> | void, () => Promise<void> | void]> = [
    ['postgres cut', () => proxy.cut(), () => proxy.restore()],
    ['redis killed', () => redis.stop(), () => redis.start()],
    ['s3 stopped', () => s3.stop(), () => s3.start()],
    [
      'postgres + redis',
      async () => {
        proxy.cut();
        await redis.stop();
      },
      async () => {
        proxy.restore();
        await redis.start();
      },
    ],
  ];
  const actors = Array.from({ length: 4 }, () => actor());
  const recoveryMs: Record<string, number> = {};
  await new Promise((r) => setTimeout(r, 1500));
  const t0 = Date.now();
  const log = (what: string) => process.stdout.write(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${what} (${outcomes.length} requests so far)\n`);
  for (const [name, stop, start] of faults) {
    phase = name;
    await stop();
    log(`${name}: injected`);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await start();
    phase = `after ${name}`;
    log(`${name}: dependency back`);
    recoveryMs[name] = await recovered();
    log(`${name}: recovered in ${recoveryMs[name]} ms`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  running = false;
  await Promise.all(actors);

  // --- what the clients saw
  const byCode = new Map<string, number>();
  for (const o of outcomes) byCode.set(String(o.code), (byCode.get(String(o.code)) ?? 0) + 1);
  const bad = outcomes.filter(
    (o) => o.code === 'timeout' || o.code === 'client-error' || (typeof o.code === 'number' && o.code >= 500 && o.code !== 503) || (o.code === 503 && !o.reason),
  );
  const unavailable = outcomes.filter((o) => o.code === 503);
  process.stdout.write(
    `faults: ${faults.length} faults injected (${faults.map(([n]) => n).join(', ')}); ${outcomes.length} requests: ${[...byCode].map(([c, k]) => `${c}×${k}`).join(' ')}\n` +
      `faults: recovery ms ${JSON.stringify(recoveryMs)}; 503 reasons: ${[...new Set(unavailable.map((o) => o.reason))].join(' | ')}\n`,
  );
  expect(bad.map((o) => `${o.phase} ${o.op} → ${o.code} ${o.reason}`)).toEqual([]);
  expect(unavailable.length).toBeGreaterThan(0);

  // --- every acknowledged message is there, unchanged, with unique increasing seqnos
  const reader = client();
  const seen = new Map<number, { seqno: number; data: string }>();
  for (let since = 0; ;) {
    const res = await reader.get(`/room/${ROOM}/messages/since/${since}?limit=256`);
    expect(res.code).toBe(200);
    const page = res.json<Array<{ id: number; seqno: number; data: string }>>();
    if (page.length === 0) break;
    for (const m of page) seen.set(m.id, m);
    since = Math.max(...page.map((m) => m.seqno));
  }
  const lostPosts = posts.filter((p) => seen.get(p.id)?.data !== p.data);
  const seqnos = posts.map((p) => p.seqno);
  expect(new Set(seqnos).size).toBe(seqnos.length);
  const byId = [...posts].sort((a, b) => a.id - b.id);
  for (let i = 1; i < byId.length; i++) expect(byId[i].seqno).toBeGreaterThan(byId[i - 1].seqno);
  const dbSeqnos = (await ctx.prisma.message.findMany({ select: { seqno: true } })).map((m) => m.seqno);
  expect(new Set(dbSeqnos).size).toBe(dbSeqnos.length);

  // --- every acknowledged file downloads byte for byte
  const lostFiles: number[] = [];
  for (const f of files) {
    const res = await reader.get(`/room/${ROOM}/file/${f.id}`);
    if (res.code !== 200 || sha(res.body) !== f.sha256) lostFiles.push(f.id);
  }

  // --- after the next sweep: no bytes without a row, no referenced row without bytes (file rows
  // cannot point at a missing row: the foreign key restricts it)
  await server.app.get(JobsService).runNow(JobName.FileSweep, {});
  const prisma = server.app.get(PrismaService);
  const rows = await prisma.storageObject.findMany({ select: { key: true, refs: true, deleteAfter: true } });
  const minio = new Minio({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1', pathStyle: true });
  const keys = new Set<string>();
  for await (const item of minio.listObjectsV2('faults', '', true)) if (item.name) keys.add(item.name);
  const rowKeys = new Set(rows.map((r) => r.key));
  const orphanObjects = [...keys].filter((k) => !rowKeys.has(k));
  const missingObjects = rows.filter((r) => r.refs > 0 && !keys.has(r.key)).map((r) => r.key);
  const now = Date.now() / 1000;
  const overdue = rows.filter((r) => r.refs === 0 && (r.deleteAfter === null || r.deleteAfter <= now)).map((r) => r.key);
  const pending = rows.filter((r) => r.refs === 0 && r.deleteAfter !== null && r.deleteAfter > now).length;

  process.stdout.write(
    `faults: acknowledged writes checked ${posts.length + files.length} (${posts.length} messages, ${files.length} files); ` +
      `lost = ${lostPosts.length + lostFiles.length}; orphan objects ${orphanObjects.length}, rows without bytes ${missingObjects.length}, ` +
      `overdue unreferenced ${overdue.length}, pending writes within grace ${pending}\n`,
  );
  expect(posts.length).toBeGreaterThan(10);
  expect(files.length).toBeGreaterThan(5);
  expect(lostPosts).toEqual([]);
  expect(lostFiles).toEqual([]);
  expect(orphanObjects).toEqual([]);
  expect(missingObjects).toEqual([]);
  expect(overdue).toEqual([]);
});

it('a worker that dies mid-job: the job goes back to the queue and another worker completes it', async () => {
  const user = client();
  const upload = await user.request({ method: 'POST', path: `/room/${ROOM}/file`, body: randomBytes(500) });
  expect(upload.code).toBe(201);
  const fileId = upload.json<{ id: number }>().id;
  // Due now, so the expiry job deletes it when it runs.
  await ctx.prisma.file.update({ where: { id: fileId }, data: { expiry: Date.now() / 1000 - 1 } });

  // The API replica runs no workers: a short-lived worker claims the job and dies holding it.
  const connection = { url: redis.url, maxRetriesPerRequest: null };
  const prefix = `${ctx.config.REDIS_PREFIX}bull`;
  const queue = new Queue(QueueName.Files, { connection, prefix });
  const jobId = `fault-test-expiry-${fileId}`;
  // The worker lives in a child process (plain bullmq, as the worker role uses it; no stalled check of
  // its own, which would hold the check off for its interval) and is killed with
  // SIGKILL while it holds the job: no graceful close, no lock release.
  const script = `
    const { Worker } = require('bullmq');
    const w = new Worker(${JSON.stringify(QueueName.Files)}, async (job) => {
      if (job.id !== ${JSON.stringify(jobId)}) throw new Error('not this one');
      process.stdout.write('claimed\\n');
      await new Promise(() => {});
    }, { connection: { url: ${JSON.stringify(redis.url)}, maxRetriesPerRequest: null }, prefix: ${JSON.stringify(prefix)}, lockDuration: 1000, skipStalledCheck: true });
    w.on('error', () => {});`;
  const doomed = spawn(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const claimed = new Promise<void>((resolve) => doomed.stdout.on('data', (d: Buffer) => d.toString().includes('claimed') && resolve()));
  await queue.add(JobName.FileExpiry, { kind: 'room', id: String(fileId) }, { jobId, attempts: 3 });
  await claimed;
  const killed = new Promise((r) => doomed.once('exit', r));
  doomed.kill('SIGKILL');
  await killed;
  expect(await (await queue.getJob(jobId))?.getState()).toBe('active');

  // A fresh worker process-equivalent on the same Redis picks the stalled job up and completes it.
  await ctx.startReplica({
    ROLE: 'worker',
    REDIS_URL: redis.url,
    ...storage(),
    JOB_LOCK_DURATION: 1,
  });
  const tookMs = await eventually(async () => (await (await queue.getJob(jobId))?.getState()) === 'completed', 20_000, 'the retried expiry job').catch(async (err: Error) => {
    const j = await queue.getJob(jobId);
    throw new Error(`${err.message}: state ${await j?.getState()}, stalled ${j?.stalledCounter}, failed ${j?.failedReason}`);
  });
  const job = (await queue.getJob(jobId))!;
  process.stdout.write(
    `faults: worker killed mid-job; job ${jobId} completed ${tookMs} ms after a new worker started (stalled ${job.stalledCounter}×, attempts started ${job.attemptsStarted})\n`,
  );
  expect(job.stalledCounter).toBeGreaterThanOrEqual(1);
  expect(await ctx.prisma.file.findUnique({ where: { id: fileId } })).toBeNull();
  await queue.close();
});
