import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { freePort, startProcess, type ServerProcess } from '../../bench/server-process';
import { SogsClient } from '../../src/client';
import { loadOrCreateServerKey } from '../../src/config/server-key';
import { JOB_QUEUE, QueueName } from '../../src/jobs/job-names';
import { createTestContext, type TestContext } from '../support/context';
import { createRoom, messageBody, type PostedMessage } from '../support/rooms-fixtures';
import { eventually } from '../support/eventually';
import { CONSOLE_CSP } from '../../src/console/console.routes';
import { qrPng } from '../../src/web/qr';
import { cliOk, envFor } from '../integration/cli/cli-helpers';

// API_WORKERS (issue 7): `node dist/src/main.js` with ROLE=all and two API workers behind
// node:cluster, as the README runs it. The primary creates the key, serves the admin port for the
// group (the console too, answered by the workers) and restarts dead workers; only worker 1 runs
// the background jobs.

jest.setTimeout(240_000);

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
const SHUTDOWN_TIMEOUT = 5;

interface LogLine {
  pid: number;
  msg: string;
  worker?: number;
  workerPid?: number;
  role?: string;
  route?: string;
  x25519_pubkey?: string;
}

/** Where a started server group answers, and its log. */
function listening(port: number, adminPort: number, logFile: string) {
  return { url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, readyUrl: `http://127.0.0.1:${adminPort}/readyz`, logFile };
}

describe('ROLE=all with API_WORKERS=2', () => {
  let ctx: TestContext;
  let dir: string;
  let group: ServerProcess;
  let logFile: string;
  let keyFile: string;
  let queues: Queue[];

  const lines = (): LogLine[] =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          const line = JSON.parse(l) as LogLine;
          return [{ ...line, msg: line.msg ?? '' }];
        } catch {
          return [];
        }
      });
  /** Current pid of each worker position, from the primary's "starting" lines. */
  const workerPids = (): Map<number, number> => new Map(lines().flatMap((l) => (l.msg.endsWith(' starting') && l.worker ? [[l.worker, l.workerPid ?? 0] as const] : [])));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const metrics = async () => (await fetch(`${group.adminUrl}/metrics`)).text();
  const metric = (text: string, series: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${series} `))
        ?.split(' ')[1] ?? NaN,
    );
  /** A GET on a new connection each time, so node:cluster hands each to the next worker. */
  const getOnNewConnection = (path: string) =>
    new Promise<number>((resolve, reject) => {
      get(`${group.url}${path}`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject);
    });
  const bullWorkers = async () => Promise.all(queues.map((q) => q.getWorkers().then((w) => w.length)));

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    // The context's own in-process server is ROLE=api (no job processors): the group below must be
    // the only runner of jobs on this Redis prefix.
    ctx = await createTestContext({ config: { ROLE: 'api' } });
    dir = mkdtempSync(join(tmpdir(), 'scs-workers-'));
    logFile = join(dir, 'server.log');
    keyFile = join(dir, 'key_x25519');
    const [port, adminPort] = [await freePort(), await freePort()];
    group = await startProcess({
      script: MAIN,
      env: envFor(ctx.config, {
        ROLE: 'all',
        API_WORKERS: '2',
        API_WORKER_RESTART_DELAY: '0.2',
        SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT),
        KEY_FILE: keyFile,
        LOG_LEVEL: 'debug',
        // Periodic jobs stay queued (delayed) for the whole test, so queue depths are stable.
        CLEANUP_INTERVAL: '3600',
        FILE_SWEEP_INTERVAL: '3600',
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
      }),
      ...listening(port, adminPort, logFile),
    });
    const connection = { url: ctx.config.REDIS_URL };
    queues = [QueueName.Files, QueueName.Maintenance].map((name) => new Queue(name, { connection, prefix: `${ctx.config.REDIS_PREFIX}bull` }));
  });

  afterAll(async () => {
    await Promise.all((queues ?? []).map((q) => q.close()));
    await group?.stop();
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the primary creates the server key once; both workers serve with it', async () => {
    const key = loadOrCreateServerKey(keyFile).publicKeyHex;
    const identities = lines().filter((l) => l.x25519_pubkey);
    const pids = [...workerPids().values()];
    expect(pids).toHaveLength(2);
    // the primary's start line plus each worker's own
    expect(new Set(identities.map((l) => l.pid))).toEqual(new Set([group.child.pid, ...pids]));
    expect(new Set(identities.map((l) => l.x25519_pubkey))).toEqual(new Set([key]));

    await createRoom(ctx, 'lobby');
    const alice = new SogsClient({ baseUrl: group.url, serverPubkey: key, seed: new Uint8Array(randomBytes(32)) });
    const posted = await alice.post('/room/lobby/message', messageBody('through the cluster'));
    expect(posted.code).toBe(201);
    const polled = await alice.get(`/room/lobby/messages/since/${posted.json<PostedMessage>().seqno - 1}`);
    expect(polled.json<PostedMessage[]>().map((m) => m.id)).toEqual([posted.json<PostedMessage>().id]);
  });

  it('requests are served by both workers, and /metrics counts them for the whole group', async () => {
    const before = metric(await metrics(), 'scs_http_requests_total{method="GET",route="/",status="200"}') || 0;
    const pids = new Set(workerPids().values());
    for (let i = 0; i < 10; i++) expect(await getOnNewConnection('/')).toBe(200);
    await eventually(async () => lines().filter((l) => l.route === '/' && l.msg === 'request completed').length >= 10, 5000, 'request log lines');
    const servedBy = new Set(
      lines()
        .filter((l) => l.route === '/' && l.msg === 'request completed')
        .map((l) => l.pid),
    );
    expect(servedBy).toEqual(pids);

    const text = await metrics();
    // Each worker counted only its own share; the primary's aggregate is the sum.
    expect(metric(text, 'scs_http_requests_total{method="GET",route="/",status="200"}') - before).toBe(10);
    expect(metric(text, 'scs_api_workers_listening')).toBe(2);
    // Shared queue depths are reported once, not once per worker (each worker reads the same queues):
    // one delayed job per repeatable job (files: the sweep; maintenance: every job of the queue is a periodic step).
    const repeatable = { files: 1, maintenance: Object.values(JOB_QUEUE).filter((q) => q === QueueName.Maintenance).length };
    for (const [queue, jobs] of Object.entries(repeatable)) expect(metric(text, `scs_queue_jobs{queue="${queue}",state="delayed"}`)).toBe(jobs);
    expect((await fetch(`${group.adminUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${group.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { api_workers: 'ok', postgres: 'ok', redis: 'ok', storage: 'ok' } });
  });

  it('runs one set of job processors: worker 1 only', async () => {
    expect(await bullWorkers()).toEqual([1, 1]);
    const roles = lines().filter((l) => l.msg.endsWith(' starting') && l.worker);
    expect(roles.map((l) => [l.worker, l.role])).toEqual([
      [1, 'all'],
      [2, 'api'],
    ]);
  });

  it("the console on the primary's admin port: a CLI link signs in, the session holds on every worker, changes and uploads go through once", async () => {
    const link = (await cliOk(envFor(ctx.config, { ADMIN_PORT: new URL(group.adminUrl).port }), 'console', 'login')).trim();
    expect(link.startsWith(`${group.adminUrl}/console/login?token=`)).toBe(true);
    const signedIn = await fetch(link, { redirect: 'manual' });
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0];
    expect(signedIn.headers.get('set-cookie')).toContain('HttpOnly; SameSite=Strict');
    // Requests go to the workers in turn: every one of them knows the session.
    const pages: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${group.adminUrl}/console/rooms`, { headers: { cookie } });
      expect([i, res.status, res.headers.get('content-security-policy')]).toEqual([i, 200, CONSOLE_CSP]);
      pages.push(await res.text());
    }
    expect((await fetch(`${group.adminUrl}/console/rooms`)).status).toBe(401);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(pages[0])![1];
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      redirect: 'manual' as const,
      headers: { cookie, origin: group.adminUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    expect((await fetch(`${group.adminUrl}/console/rooms`, form({ token: 'clustered', name: 'No token' }))).status).toBe(403);
    const made = await fetch(`${group.adminUrl}/console/rooms`, form({ _csrf: csrf, token: 'clustered', name: 'Made in a cluster' }));
    expect([made.status, made.headers.get('location')]).toEqual([303, '/console/rooms/clustered?notice=created']);
    const image = qrPng('clustered', 64);
    const upload = new FormData();
    upload.append('_csrf', csrf);
    upload.append('image', new Blob([image]), 'room.png');
    const uploaded = await fetch(`${group.adminUrl}/console/rooms/clustered/image`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: group.adminUrl },
      body: upload,
    });
    expect(uploaded.status).toBe(303);
    for (let i = 0; i < 2; i++) {
      const served = await fetch(`${group.adminUrl}/console/rooms/clustered/image`, { headers: { cookie } });
      expect(Buffer.from(await served.arrayBuffer()).equals(image)).toBe(true);
    }
    const entries = await ctx.prisma.auditLog.findMany({ where: { roomToken: 'clustered' }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.actor, e.action])).toEqual([
      ['console', 'room.create'],
      ['console', 'room.update'],
      ['console', 'room.image'],
    ]);
  });

  it('a killed worker is replaced, the job runner too, and never doubled', async () => {
    for (const n of [2, 1]) {
      const old = workerPids().get(n)!;
      process.kill(old, 'SIGKILL');
      await eventually(async () => (workerPids().get(n) ?? old) !== old, 15_000, `a replacement for worker ${n}`);
      await eventually(async () => (await fetch(`${group.adminUrl}/readyz`)).status === 200, 60_000, 'the group to be ready again');
      expect(lines().some((l) => l.msg.startsWith(`API worker ${n} (pid ${old}) died (signal SIGKILL)`))).toBe(true);
      expect(alive(workerPids().get(n)!)).toBe(true);
    }
    expect(metric(await metrics(), 'scs_api_worker_restarts_total')).toBe(2);
    await eventually(async () => (await bullWorkers()).every((n) => n === 1), 10_000, 'one job processor per queue');
    expect(await getOnNewConnection('/')).toBe(200);
  });

  it('SIGTERM stops the primary and every worker within SHUTDOWN_TIMEOUT', async () => {
    const pids = [...workerPids().values()];
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) => group.child.once('exit', (code) => resolve(code)));
    group.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(SHUTDOWN_TIMEOUT * 1000);
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('API_WORKERS=2 when a worker cannot start', () => {
  it('the primary gives up and exits 1 instead of restarting forever', async () => {
    const ctx = await createTestContext({ config: { ROLE: 'api' } });
    const dir = mkdtempSync(join(tmpdir(), 'scs-workers-'));
    try {
      const [port, adminPort] = [await freePort(), await freePort()];
      const broken = new URL(ctx.config.DATABASE_URL);
      broken.pathname = '/scs_no_such_database';
      const logFile = join(dir, 'server.log');
      const start = startProcess({
        script: MAIN,
        env: envFor(ctx.config, {
          API_WORKERS: '2',
          DATABASE_URL: broken.toString(),
          KEY_FILE: join(dir, 'key'),
          LOG_LEVEL: 'info',
          PORT: String(port),
          ADMIN_PORT: String(adminPort),
        }),
        ...listening(port, adminPort, logFile),
      });
      await expect(start).rejects.toThrow(/exited with code 1/);
      expect(readFileSync(logFile, 'utf8')).toMatch(/API worker 1 exited \(code 1\) before it listened/);
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
