import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../bench/server-process';
import { createTestContext, type TestContext } from '../../support/context';
import { eventually } from '../../support/eventually';

// Issue 5: /healthz, /readyz (Postgres, Redis, storage; fails fast, recovers by itself) and /metrics.

/** A private redis-server (never the shared one: the test stops it). */
async function startRedis(port: number): Promise<ChildProcess> {
  // In a directory of its own: a test turns persistence on, and Redis writes into its working directory.
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
    cwd: mkdtempSync(join(tmpdir(), 'scs-redis-')),
  });
  await eventually(async () => {
    const { Redis } = await import('ioredis');
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, 10_000);
  return proc;
}

async function stopRedis(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
}

async function readyz(ctx: TestContext): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${ctx.adminUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

describe('admin port: health, readiness and metrics', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test('/healthz answers while the process is alive', async () => {
    const res = await fetch(`${ctx.adminUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('/readyz is ready when Postgres, Redis and storage answer', async () => {
    const { status, body } = await readyz(ctx);
    // redis_persistence is advisory (a warning when the shared test Redis keeps nothing; see below).
    expect(body).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', storage: 'ok', redis_persistence: expect.any(String) } });
    expect(status).toBe(200);
  });

  test('a worker-only process serves the admin port (and no public port) on the same dependencies', async () => {
    const worker = await ctx.startReplica({ ROLE: 'worker' });
    expect(worker.url).toBe('');
    const res = await fetch(`${worker.adminUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await (await fetch(`${worker.adminUrl}/metrics`)).text()).toContain('scs_queue_jobs');
  });

  test('health routes are not on the public port', async () => {
    expect((await fetch(`${ctx.url}/healthz`)).status).not.toBe(200);
    expect((await fetch(`${ctx.url}/metrics`)).status).not.toBe(200);
  });

  test('/metrics counts the onion request and its inner route apart, by route pattern', async () => {
    const scrape = async () => (await fetch(`${ctx.adminUrl}/metrics`)).text();
    const before = await scrape();
    const user = ctx.newUser();
    expect((await user.get('/capabilities')).code).toBe(200);
    const unknownRoom = await user.get('/room/no-such-room-xyz');
    expect(unknownRoom.code).toBe(404);
    const res = await fetch(`${ctx.adminUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const outer = 'scs_http_requests_total{method="POST",route="/oxen/v4/lsrpc",status="200"}';
    const inner = 'scs_inner_requests_total{method="GET",route="/capabilities",status="200"}';
    // Two onion requests on the listener, one inner /capabilities: neither metric counts the other's request.
    expect(sample(text, outer) - sample(before, outer)).toBe(2);
    expect(sample(text, inner) - sample(before, inner)).toBe(1);
    expect(text).not.toMatch(/scs_http_requests_total\{[^}]*route="\/capabilities"/);
    expect(text).not.toMatch(/scs_inner_requests_total\{[^}]*route="\/oxen/);
    expect(text).toMatch(/scs_inner_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/capabilities",status="200"\}/);
    expect(text).toMatch(/scs_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/oxen\/v4\/lsrpc",status="200"\}/);
    // The raw URL (with the room token) never becomes a label.
    expect(text).not.toContain('no-such-room-xyz');
    for (const series of [
      'scs_onion_decrypt_failures_total',
      'scs_auth_failures_total',
      'scs_job_failures_total',
      'scs_storage_errors_total',
      'scs_queue_jobs',
      'scs_db_pool_connections',
      'scs_db_pool_waiting_clients',
    ]) {
      expect(text).toContain(`# TYPE ${series}`);
    }
    // The pool has served the requests above, so it holds at least one open connection; its states partition it.
    expect(text).toMatch(/scs_db_pool_connections\{state="(idle|in_use)"\} [1-9]/);
    expect(text).not.toMatch(/scs_db_pool_connections\{state="(total|waiting)"\}/);
  });

  test("Node's process metrics carry their standard names", async () => {
    const text = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
    for (const series of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(text).toContain(`# TYPE ${series} `);
    }
    expect(text).not.toMatch(/^# TYPE scs_(process|nodejs)_/m);
  });
});

/** The value of one exact series in a Prometheus text exposition (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('/readyz follows Redis', () => {
  let ctx: TestContext;
  let redis: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    // An API replica (no job workers): what is under test is the readiness probe, not BullMQ's reconnects.
    ctx = await createTestContext({ config: { REDIS_URL: `redis://127.0.0.1:${port}`, READY_CHECK_TIMEOUT: 1, ROLE: 'api' } });
  });
  afterAll(async () => {
    await ctx?.close();
    if (redis) await stopRedis(redis);
  });

  test('goes unready fast when Redis stops and ready again when it is back', async () => {
    expect((await readyz(ctx)).status).toBe(200);

    await stopRedis(redis);
    const started = Date.now();
    const down = await readyz(ctx);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unready');
    expect(down.body.checks.redis).not.toBe('ok');
    expect(down.body.checks.postgres).toBe('ok');
    // Bounded by the check timeout (1 s here), not by Redis' reconnect backoff.
    expect(Date.now() - started).toBeLessThan(2_500);

    redis = await startRedis(port);
    await eventually(async () => (await readyz(ctx)).status === 200, 15_000);
    expect((await readyz(ctx)).body.checks.redis).toBe('ok');
  }, 40_000);

  test('warns, and stays ready, while Redis keeps neither AOF nor RDB (a restart would forget nonces) (issue 19 item 10)', async () => {
    const { Redis } = await import('ioredis');
    const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      // startRedis runs it with --save '' --appendonly no.
      await eventually(async () => (await readyz(ctx)).body.checks.redis === 'ok', 15_000);
      const bare = await readyz(ctx);
      expect(bare.status).toBe(200);
      expect(bare.body.checks.redis_persistence).toMatch(/neither AOF nor RDB/);
      await admin.config('SET', 'appendonly', 'yes');
      expect((await readyz(ctx)).body.checks.redis_persistence).toBe('ok');
      await admin.config('SET', 'appendonly', 'no');
      await admin.config('SET', 'save', '3600 1');
      expect((await readyz(ctx)).body.checks.redis_persistence).toBe('ok');
    } finally {
      admin.disconnect();
    }
  });
});
