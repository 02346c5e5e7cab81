import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deleteRedisKeys } from '../src/redis/delete-keys';
import { loadOrCreateServerKey } from '../src/config/server-key';
import { benchFiles } from './files';
import { lineChart } from './plot';
import type { DriverJob, DriverMessage, DriverResult, Expectation, LoadShape, RequestPlan, RequestTemplate } from './job';
import { BIG_ROOM, dropDatabase, dropOrphanRunDatabases, POLL_ROOMS, pollRoom, POST_ROOMS, postRoom, prepareDatabase, roomStates, type RoomState } from './seed';
import { DEFAULT_POPULATION, memberSeeds, parseMix, populationLoad, scheduleShape, warmUpLoad, type PopulationSettings } from './population';
import { freePort, namedProcessesCpuSeconds, startProcess, type MeasuredServer, type ServerProcess } from './server-process';
import { startAllowWebhook } from './webhook';
import { externalServer, parseTarget, prepareTarget } from './external';

/*
 * `npm run bench` (issue 7): seeds a benchmark database, starts the server as a child process the
 * way the README runs it, drives load from two driver processes on loopback, and prints one table
 * plus the ratios; the same figures go to bench/results/latest.json. `--quick` shortens every
 * scenario; `--only a,b` runs the named scenarios (and the ones their ratios need). `--target=URL`
 * runs them against a server started elsewhere instead (bench/external.ts, "Side by side" in
 * BENCHMARKS.md).
 */

const ROOT = process.env.BENCH_ROOT ?? resolve(__dirname, '..', '..');
const DIST = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');
const PG_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
// The seed's name ends in the hash of the migrations and the seeding (bench/seed.ts prepareDatabase).
const SEED_DB_PREFIX = 'scs_bench_seed';
// One run database per bench process: on a shared machine a second run dropped the first's
// database mid-scenario (every request of it failing).
const RUN_DB_PREFIX = 'scs_bench_run_';
const RUN_DB = `${RUN_DB_PREFIX}${process.pid}`;
const USERS = 100;
const DRIVERS = 2;

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const WARMUP_REQUESTS = QUICK ? USERS * 5 : USERS * 20;
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const TARGET = parseTarget(args);
/** What an external server can be measured on: the scenarios that need no SQL seed (no 1k/1M/20-room rooms, no floor, files or population). */
const TARGET_SCENARIOS = ['idle_poll', 'busy_poll', 'room_info', 'capabilities', 'reaction', 'busy_poll_capacity', 'overload_2x', 'overload_5x', 'post'];
const ONLY = onlyArg ? new Set(onlyArg.split(',')) : TARGET ? new Set(TARGET_SCENARIOS) : null;
if (TARGET && ONLY) {
  const unsupported = [...ONLY].filter((n) => !TARGET_SCENARIOS.includes(n));
  if (unsupported.length) throw new Error(`--target runs only ${TARGET_SCENARIOS.join(', ')}; not ${unsupported.join(', ')}`);
}
/** An external target's figures go beside ours, never over them. */
const RESULTS_FILE = TARGET ? 'target.json' : 'latest.json';

const POLL_MS = QUICK ? 1500 : 5000;
/**
 * How long the server is left without requests after the warm-up before its idle RSS is read: V8
 * gives back the young generation (grown to 2 × 16 MB under load) only once its memory reducer
 * sees the process idle, ≈ 20–30 s after the last request on this machine.
 */
const IDLE_SETTLE_MS = Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? (QUICK ? 0 : 60)) * 1000;

interface Row {
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  errors: number;
  rss_mb: number;
  mb_per_s?: number;
  rss_growth_mb?: number;
  /** Overload runs: valid 503 refusals (not errors, not in the latencies). */
  refused?: number;
  /**
   * Server CPU time per answered request (all server processes): unlike throughput it hardly moves
   * when other work shares the machine, so it is what optimisations are compared by.
   */
  cpu_ms_per_req?: number;
  /** Server CPU seconds per wall second while the scenario ran (cores in use). */
  server_cores?: number;
  /** The same for PostgreSQL and Redis (every process of theirs on the machine: an upper bound). */
  services_cores?: number;
  /** The same for the load drivers (sending, decrypting and checking replies; not pre-building). */
  driver_cores?: number;
  /** Mean size of a reply as sent (the encrypted onion reply), KB: what each request costs in bytes to encrypt and send. */
  reply_kb?: number;
}

/** The population scenario's outcome (issue 18): the largest population held, and every step tried. */
interface PopulationStep {
  members: number;
  offered_rps: number;
  rps: number;
  p99_ms: number;
  errors: number;
  server_cores: number;
  services_cores: number;
  driver_cores: number;
  /** Mean reply KB: it grows with the population, as every member receives every post of its rooms. */
  reply_kb: number;
  members_per_core: number;
  held: boolean;
}
interface PopulationResult {
  members: number;
  members_per_core: number;
  members_per_core_with_services: number;
  p99_ms: number;
  errors: number;
  server_cores: number;
  duration_s: number;
  settings: PopulationSettings;
  steps: PopulationStep[];
}
let population: PopulationResult | null = null;

/** The server's RSS right after start, right after the warm-up's load, and once left idle (IDLE_SETTLE_MS). */
interface IdleRss {
  after_start_mb: number;
  after_warm_up_mb: number;
  settled_mb?: number;
  settled_after_s?: number;
}
let idleRss: IdleRss | null = null;

/** Reads the RSS every second while nothing is sent, for IDLE_SETTLE_MS; the last reading is the settled one. */
async function readSettledIdleRss(server: MeasuredServer, rss: IdleRss): Promise<void> {
  if (IDLE_SETTLE_MS <= 0) return;
  const readings: number[] = [];
  for (let waited = 0; waited < IDLE_SETTLE_MS; waited += 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    readings.push(server.rssMb());
  }
  rss.settled_mb = round(readings[readings.length - 1], 1);
  rss.settled_after_s = IDLE_SETTLE_MS / 1000;
  const at = (s: number) => readings[Math.min(s, readings.length) - 1].toFixed(0);
  log(`idle server RSS, seconds after the warm-up: 5 s ${at(5)} MB, 15 s ${at(15)} MB, 30 s ${at(30)} MB, ${readings.length} s ${at(readings.length)} MB`);
  notes.push(`idle server RSS, left ${rss.settled_after_s} s without requests after the warm-up: ${rss.settled_mb} MB (target ≤ 150 MB)`);
}

/** One point of the open-loop sweep: what was offered, what was answered, how fast. */
interface SweepPoint {
  offered_rps: number;
  rps: number;
  p99_ms: number;
  refused: number;
  errors: number;
}
const sweep: SweepPoint[] = [];

const rows = new Map<string, Row>();
const notes: string[] = [];
const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);

function previous(): Record<string, Row> {
  try {
    return (JSON.parse(readFileSync(join(RESULTS, RESULTS_FILE), 'utf8')) as { scenarios: Record<string, Row> }).scenarios;
  } catch {
    return {};
  }
}
const PREVIOUS = previous();

/** Deterministic test users: the same 100 signing identities every run. */
const userSeeds = Array.from({ length: USERS }, (_, i) => createHash('sha256').update(`scs-bench-user-${i}`).digest('hex'));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Waits until the server is idle again (below 10% of a core for half a second; at most 15 s), so a backlog left by one scenario is not billed to the next. */
async function settle(server: MeasuredServer): Promise<void> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const before = server.cpuSeconds();
    await new Promise((r) => setTimeout(r, 500));
    if (server.cpuSeconds() - before < 0.05) return;
  }
}

/** Runs one job split across DRIVERS driver processes; measures server RSS while it runs. */
async function drive(
  name: string,
  server: MeasuredServer,
  serverPubkeyHex: string,
  spec: { templates: RequestTemplate[]; expect: Expectation; shape: LoadShape; durationMs: number; count: number; plan?: RequestPlan; seeds?: string[] },
): Promise<Row> {
  const drivers: ChildProcess[] = [];
  const results: Promise<DriverResult>[] = [];
  const ready: Promise<void>[] = [];
  const split = (n: number, i: number) => Math.floor(n / DRIVERS) + (i < n % DRIVERS ? 1 : 0);
  const processes = Math.min(DRIVERS, spec.count);
  const seeds = spec.seeds ?? userSeeds;
  for (let i = 0; i < processes; i++) {
    const child = fork(join(__dirname, 'driver.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    drivers.push(child);
    const shape: LoadShape =
      spec.shape.kind === 'closed'
        ? { kind: 'closed', concurrency: Math.max(1, split(spec.shape.concurrency, i)) }
        : spec.shape.kind === 'open'
          ? { kind: 'open', rate: spec.shape.rate / processes, maxInFlight: Math.max(1, split(spec.shape.maxInFlight, i)) }
          : { kind: 'schedule', maxInFlight: Math.max(1, split(spec.shape.maxInFlight, i)) };
    // a plan is split by member, so each member's requests come from one driver (one client object)
    const plan = spec.plan ? planPart(spec.plan, i, processes) : undefined;
    const job: DriverJob = {
      name,
      url: server.url,
      serverPubkeyHex,
      userSeeds: seeds,
      // each driver starts where the previous one's share ends: with one seed per request, no identity is used twice
      userOffset: Array.from({ length: i }, (_, j) => split(seeds.length, j)).reduce((a, b) => a + b, 0),
      templates: spec.templates,
      expect: spec.expect,
      shape,
      durationMs: spec.durationMs,
      count: plan ? plan.at.length : split(spec.count, i),
      plan,
    };
    let onReady!: () => void;
    let failReady!: (e: Error) => void;
    ready.push(new Promise<void>((res, rej) => ((onReady = res), (failReady = rej))));
    results.push(
      new Promise<DriverResult>((res, rej) => {
        child.on('message', (m: DriverMessage) => {
          if (m.type === 'ready') onReady();
          else if (m.type === 'result') res(m.result);
          else {
            const err = new Error(`driver failed: ${m.error}`);
            failReady(err);
            rej(err);
          }
        });
        child.on('exit', (code) => {
          const err = new Error(`driver exited with code ${code}`);
          failReady(err);
          rej(err);
        });
      }),
    );
    child.send({ type: 'job', job });
  }
  await Promise.all(ready);
  await settle(server);
  const rssBefore = server.rssMb();
  const cpuBefore = server.cpuSeconds();
  const servicesBefore = namedProcessesCpuSeconds(SERVICE_PROCESSES);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, server.rssMb())), 100);
  for (const d of drivers) d.send({ type: 'go' });
  let watchdog: NodeJS.Timeout | undefined;
  const parts = await Promise.race([
    Promise.all(results),
    new Promise<never>((_, reject) => {
      watchdog = setTimeout(() => reject(new Error(`${name}: drivers did not report within the time bound`)), spec.durationMs + 60_000);
    }),
  ]).finally(() => {
    clearTimeout(watchdog);
    for (const d of drivers) if (d.exitCode === null) d.kill();
  });
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, server.rssMb());
  const cpuSeconds = server.cpuSeconds() - cpuBefore;
  const servicesSeconds = namedProcessesCpuSeconds(SERVICE_PROCESSES) - servicesBefore;

  const latencies = parts.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const completed = parts.reduce((n, r) => n + r.completed, 0);
  const elapsed = Math.max(...parts.map((r) => r.elapsedMs));
  const errors = parts.reduce((n, r) => n + r.errors, 0);
  const refused = parts.reduce((n, r) => n + r.refused, 0);
  const row: Row = {
    // throughput counts answered-as-expected requests only
    rps: round((completed - errors) / (elapsed / 1000), 1),
    p50_ms: round(percentile(latencies, 50)),
    p95_ms: round(percentile(latencies, 95)),
    p99_ms: round(percentile(latencies, 99)),
    errors,
    rss_mb: round(rssPeak, 1),
    ...(spec.expect.kind === 'batch' && spec.expect.refusals ? { refused } : {}),
    cpu_ms_per_req: completed + refused ? round((cpuSeconds * 1000) / (completed + refused), 3) : 0,
    server_cores: round(cpuSeconds / (elapsed / 1000), 3),
    services_cores: round(servicesSeconds / (elapsed / 1000), 3),
    driver_cores: round(parts.reduce((n, r) => n + r.cpuMs, 0) / elapsed, 3),
    reply_kb: completed + refused ? round(parts.reduce((n, r) => n + r.replyBytes, 0) / 1024 / (completed + refused), 2) : 0,
  };
  rows.set(name, row);
  const samples = parts.flatMap((r) => r.errorSamples).slice(0, 3);
  const buildS = Math.max(...parts.map((r) => r.buildMs)) / 1000;
  const ranOut = completed >= spec.count && elapsed < spec.durationMs * 0.9;
  log(
    `${name}: ${row.rps} req/s, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, ${errors} errors${row.refused !== undefined ? `, ${row.refused} refused` : ''}, RSS ${row.rss_mb} MB, server CPU ${row.cpu_ms_per_req} ms/request, cores: server ${row.server_cores}, db+redis ${row.services_cores}, drivers ${row.driver_cores}, replies ${row.reply_kb} KB ` +
      `(${completed} requests in ${(elapsed / 1000).toFixed(1)} s; pre-built in ${buildS.toFixed(1)} s${ranOut ? '; used every pre-built request' : ''})` +
      (samples.length ? `\n        errors: ${samples.join(' | ')}` : ''),
  );
  return row;
}

/** How many requests to pre-build: enough for the last run's rate (at least a floor value) with headroom. */
function countFor(name: string, durationMs: number, minimumRps: number): number {
  const rps = Math.max(PREVIOUS[name]?.rps ?? 0, minimumRps);
  return Math.max(200, Math.min(40_000, Math.ceil(((rps * 1.4 + 100) * durationMs) / 1000)));
}

const wanted = (name: string) => ONLY === null || ONLY.has(name);
const SERVICE_PROCESSES = ['postgres', 'redis-server'];

/** Driver `part` of `parts`: the plan entries of the members that driver sends for. */
function planPart(plan: RequestPlan, part: number, parts: number): RequestPlan {
  const out: RequestPlan = { at: [], member: [], template: [] };
  for (let i = 0; i < plan.at.length; i++) {
    if (plan.member[i] % parts !== part) continue;
    out.at.push(plan.at[i]);
    out.member.push(plan.member[i]);
    out.template.push(plan.template[i]);
  }
  return out;
}

/**
 * Open-loop sweep of the 3-room idle poll (issue 18 pictures): its closed-loop capacity, then fixed
 * arrival rates from a quarter of it to twice it; refusals (503 with Retry-After) are counted apart.
 */
async function sweepScenario(server: MeasuredServer, pubkey: string, template: RequestTemplate): Promise<void> {
  if (!wanted('sweep')) return;
  const capacity =
    rows.get('idle_poll')?.rps ??
    (
      await drive('sweep_capacity', server, pubkey, {
        templates: [template],
        expect: { kind: 'batch' },
        shape: CLOSED,
        durationMs: POLL_MS,
        count: countFor('idle_poll', POLL_MS, 300),
      })
    ).rps;
  rows.delete('sweep_capacity');
  for (const factor of [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2]) {
    const rate = Math.max(20, capacity * factor);
    const name = `sweep_${factor}`;
    const row = await drive(name, server, pubkey, {
      templates: [template],
      expect: { kind: 'batch', refusals: true },
      shape: { kind: 'open', rate, maxInFlight: 2000 },
      durationMs: POLL_MS,
      count: Math.ceil((rate * POLL_MS) / 1000),
    });
    rows.delete(name);
    sweep.push({ offered_rps: round(rate, 1), rps: row.rps, p99_ms: row.p99_ms, refused: row.refused ?? 0, errors: row.errors });
  }
}

function writeCharts(): void {
  if (sweep.length) {
    const svg = lineChart({
      title: 'Idle 3-room poll, open loop: answered and p99 against offered load',
      x: 'offered (requests/s)',
      left: 'answered (requests/s)',
      right: 'p99 (ms)',
      series: [
        { name: 'answered', points: sweep.map((p) => [p.offered_rps, p.rps]) },
        { name: 'offered = answered', points: sweep.map((p) => [p.offered_rps, p.offered_rps]), dashed: true },
        { name: 'p99', points: sweep.map((p) => [p.offered_rps, p.p99_ms]), right: true },
      ],
    });
    writeFileSync(join(RESULTS, 'sweep.svg'), svg);
  }
  if (population?.steps.length) {
    const svg = lineChart({
      title: `Population: p99 and server cores against members (${Object.entries(population.settings.mix)
        .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
        .join(', ')})`,
      x: 'members',
      left: 'p99 (ms)',
      right: 'server cores in use',
      series: [
        { name: 'p99', points: population.steps.map((p) => [p.members, p.p99_ms]) },
        { name: `p99 goal ${POPULATION_P99_MS} ms`, points: population.steps.map((p) => [p.members, POPULATION_P99_MS]), dashed: true },
        { name: 'server cores', points: population.steps.map((p) => [p.members, p.server_cores]), right: true },
      ],
    });
    writeFileSync(join(RESULTS, 'population.svg'), svg);
  }
}

/** Goal of the population run: what a member's poll may take at the 99th percentile. */
const POPULATION_P99_MS = 100;
/** The smallest population the search goes down to when its first step is not held. */
const POPULATION_MIN_MEMBERS = 100;

/**
 * Population search: from BENCH_POPULATION_START members, ×1.5 per step while the server holds
 * (p99 ≤ 100 ms, no errors, every sub-request 200/304), or ÷1.5 per step until one holds when the
 * first does not (a run then reports the largest population held, not none); new members poll once first, unmeasured,
 * so each step measures the steady state, not first sight. Members per core = members / server
 * CPU seconds per wall second at the largest population held.
 */
async function populationScenario(server: MeasuredServer, pubkey: string, databaseUrl: string): Promise<void> {
  if (!wanted('population')) return;
  // BENCH_POPULATION_WRITES scales the write load (0 = polls only)
  const writes = Number(process.env.BENCH_POPULATION_WRITES ?? 1);
  const d = DEFAULT_POPULATION;
  const settings: PopulationSettings = {
    ...d,
    mix: parseMix(process.env.BENCH_POPULATION_MIX),
    postsPerMember: d.postsPerMember * writes,
    reactionsPerMember: d.reactionsPerMember * writes,
    uploadsPerMember: d.uploadsPerMember * writes,
    dmsPerMember: d.dmsPerMember * writes,
  };
  const durationMs = Number(process.env.BENCH_POPULATION_SECONDS ?? (QUICK ? 8 : 20)) * 1000;
  const maxMembers = Number(process.env.BENCH_POPULATION_MAX ?? (QUICK ? 12_000 : 100_000));
  let members = Number(process.env.BENCH_POPULATION_START ?? (QUICK ? 1000 : 2000));
  const allSeeds = memberSeeds(maxMembers);
  const steps: PopulationStep[] = [];
  let warmed = 0;
  let best: PopulationStep | null = null;
  let goingDown = false;
  while (members <= maxMembers) {
    const states = await roomStates(databaseUrl);
    const rooms = Array.from({ length: POLL_ROOMS }, (_, i) => states.get(pollRoom(i))).filter((r): r is RoomState => r !== undefined);
    // a DM goes to another member of this population, who has polled before (so exists)
    const seeds = allSeeds.slice(0, members);
    if (members > warmed) {
      // all due at once, 8 at a time: a closed loop, below the server's admission limit (first sight costs several ms)
      const warm = warmUpLoad(warmed, members, rooms, settings);
      const warmMs = 120_000;
      await drive('population_warmup', server, pubkey, {
        templates: warm.templates,
        expect: { kind: 'batch' },
        shape: scheduleShape(8),
        durationMs: warmMs,
        count: warm.plan.at.length,
        plan: warm.plan,
        seeds,
      });
      rows.delete('population_warmup');
      warmed = members;
    }
    const load = populationLoad(members, rooms, durationMs, settings);
    const name = `population_${members}`;
    const row = await drive(name, server, pubkey, {
      templates: load.templates,
      expect: { kind: 'batch' },
      shape: scheduleShape(4000),
      durationMs,
      count: load.plan.at.length,
      plan: load.plan,
      seeds,
    });
    rows.delete(name);
    const cores = row.server_cores ?? 0;
    const step: PopulationStep = {
      members,
      offered_rps: round(load.plan.at.length / (durationMs / 1000), 1),
      rps: row.rps,
      p99_ms: row.p99_ms,
      errors: row.errors,
      server_cores: cores,
      services_cores: row.services_cores ?? 0,
      driver_cores: row.driver_cores ?? 0,
      reply_kb: row.reply_kb ?? 0,
      members_per_core: cores > 0 ? Math.round(members / cores) : 0,
      held: row.errors === 0 && row.p99_ms <= POPULATION_P99_MS,
    };
    steps.push(step);
    log(
      `population ${members}: ${step.held ? 'held' : 'not held'} (p99 ${step.p99_ms} ms, ${step.errors} errors, ${step.server_cores} server cores → ${step.members_per_core} members per core; db+redis ${step.services_cores}, drivers ${step.driver_cores} cores; replies ${step.reply_kb} KB)`,
    );
    if (!step.held) {
      if (best !== null || members <= POPULATION_MIN_MEMBERS) break;
      goingDown = true;
      members = Math.max(POPULATION_MIN_MEMBERS, Math.round(members / 1.5));
      continue;
    }
    best = step;
    rows.set('population', row);
    // Going down, the first population held is the answer: the one above it was not.
    if (goingDown) break;
    members = Math.round(members * 1.5);
  }
  population = {
    members: best?.members ?? 0,
    members_per_core: best?.members_per_core ?? 0,
    members_per_core_with_services: best ? Math.round(best.members / (best.server_cores + best.services_cores)) : 0,
    p99_ms: best?.p99_ms ?? 0,
    errors: best?.errors ?? 0,
    server_cores: best?.server_cores ?? 0,
    duration_s: durationMs / 1000,
    settings,
    steps,
  };
  notes.push(
    `population: ${population.members} members held (p99 ${population.p99_ms} ms ≤ ${POPULATION_P99_MS}, no errors) = ${population.members_per_core} members per server core ` +
      `(${population.members_per_core_with_services} counting PostgreSQL and Redis; goal ≥ 10,000)`,
  );
}
const SERVER_SCENARIOS = [
  'idle_poll',
  'busy_poll',
  'post',
  'post_64',
  'room_info',
  'capabilities',
  'reaction',
  'busy_poll_capacity',
  'overload_2x',
  'overload_5x',
  'population',
  'sweep',
  'first_poll_20_rooms',
  ...['idle', 'busy'].flatMap((k) => ['1k', '1m', '20_rooms'].map((g) => `${k}_poll_${g}`)),
];

function pollBatch(rooms: RoomState[], since: (r: RoomState) => number): RequestTemplate {
  const json = [
    ...rooms.flatMap((r) => [
      { method: 'GET', path: `/room/${r.token}/pollInfo/${r.infoUpdates}` },
      { method: 'GET', path: `/room/${r.token}/messages/since/${since(r)}?t=r&reactors=5` },
    ]),
    { method: 'GET', path: '/inbox/since/0' },
    { method: 'GET', path: '/outbox/since/0' },
  ];
  return { method: 'POST', path: '/batch', json };
}

const CLOSED: LoadShape = { kind: 'closed', concurrency: 16 };

/** The post scenarios' requests: `POST /room/<token>/message`, 1 KB data, across the post rooms. */
const postTemplates = (tokens: string[] = Array.from({ length: POST_ROOMS }, (_, i) => postRoom(i))): RequestTemplate[] =>
  tokens.map((token) => ({ method: 'POST' as const, path: `/room/${token}/message`, postBytes: 1024 }));

/** `template` is made only when the scenario is wanted (an external target lacks the seed's 1k/1M/20-room rooms). */
async function pollScenario(name: string, server: MeasuredServer, pubkey: string, template: () => RequestTemplate, shape: LoadShape = CLOSED) {
  if (!wanted(name)) return;
  const count = shape.kind === 'open' ? Math.ceil((shape.rate * POLL_MS) / 1000) : countFor(name, POLL_MS, name === 'floor' ? 1500 : 300);
  await drive(name, server, pubkey, { templates: [template()], expect: { kind: 'batch' }, shape, durationMs: POLL_MS, count });
}

/** One signed request per send, answered with `code`, closed loop. */
async function statusScenario(name: string, server: MeasuredServer, pubkey: string, template: RequestTemplate, code: number): Promise<void> {
  if (!wanted(name)) return;
  await drive(name, server, pubkey, { templates: [template], expect: { kind: 'status', code }, shape: CLOSED, durationMs: POLL_MS, count: countFor(name, POLL_MS, 300) });
}

/**
 * Overload (hardening): the capacity of the 3-room busy poll in a closed loop, then open loops at 2×
 * and 5× that rate. Goodput should stay near capacity, answered requests fast, RSS bounded, and
 * every refusal a valid 503 reply (the drivers count them apart from errors).
 */
async function overloadScenarios(server: MeasuredServer, pubkey: string, template: RequestTemplate): Promise<void> {
  if (!['busy_poll_capacity', 'overload_2x', 'overload_5x'].some(wanted)) return;
  const capacity = await drive('busy_poll_capacity', server, pubkey, {
    templates: [template],
    expect: { kind: 'batch' },
    shape: CLOSED,
    durationMs: POLL_MS,
    count: countFor('busy_poll_capacity', POLL_MS, 300),
  });
  for (const factor of [2, 5]) {
    const name = `overload_${factor}x`;
    if (!wanted(name)) continue;
    const rate = Math.max(50, capacity.rps * factor);
    await drive(name, server, pubkey, {
      templates: [template],
      expect: { kind: 'batch', refusals: true },
      shape: { kind: 'open', rate, maxInFlight: 4000 },
      durationMs: POLL_MS,
      count: Math.ceil((rate * POLL_MS) / 1000),
    });
    const row = rows.get(name);
    if (row) {
      notes.push(
        `${name} (${Math.round(rate)}/s offered): goodput ${round(row.rps / capacity.rps, 2)}× capacity (target ≥ 0.9), ` +
          `p99 ${row.p99_ms} ms = ${round(row.p99_ms / capacity.p99_ms, 1)}× unloaded (target ≤ 4×), ${row.refused ?? 0} refused, ${row.errors} errors, RSS ${row.rss_mb} MB`,
      );
    }
  }
}

/** The server's scs_post_batch_size totals (posts, commits), or null when it has none (a server before the group commit). */
async function postBatches(server: MeasuredServer): Promise<{ sum: number; count: number } | null> {
  // an external target has no admin port of ours to read
  if (!server.adminUrl) return null;
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const [sum, count] = [value('scs_post_batch_size_sum'), value('scs_post_batch_size_count')];
  return Number.isNaN(sum) || Number.isNaN(count) ? null : { sum, count };
}

/**
 * `post_webhook` (issue 16): the post scenario against a server started with one enabled webhook
 * plugin on `before-post` (bench/webhook.ts, on loopback, answering allow), warmed up as the main
 * server is, its posts sent as `post`'s; with `post` in the same run, the note gives what the hook adds to the post's p50, p99
 * and CPU per request. A hook past PLUGIN_DEADLINE would take its default (allow) and hide its
 * latency, so the note counts the server's plugin outcomes too.
 */
async function postWebhookScenario(env: Env, pubkey: string, warmUpTemplates: [RequestTemplate, RequestTemplate]): Promise<void> {
  const secret = createHash('sha256').update(`bench-webhook-${process.pid}`).digest('hex');
  const webhook = await startAllowWebhook(secret);
  const pluginsDir = join(env.dir, 'plugins-webhook');
  mkdirSync(pluginsDir, { recursive: true });
  writeFileSync(join(pluginsDir, 'bench.json'), JSON.stringify({ enabled: true, webhook: webhook.url, secret, events: ['before-post'], default: 'allow' }), { mode: 0o600 });
  const server = await startServer(env, { PLUGINS_DIR: pluginsDir });
  try {
    await warmUp(server, pubkey, ...warmUpTemplates);
    const templates = postTemplates();
    const row = await drive('post_webhook', server, pubkey, {
      templates,
      expect: { kind: 'status', code: 201 },
      shape: CLOSED,
      durationMs: POLL_MS,
      count: countFor('post_webhook', POLL_MS, 300),
    });
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    const outcomes = [...metrics.matchAll(/^scs_plugin_calls_total\{plugin="bench",event="before-post",outcome="(\w+)"\} (\d+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    const post = rows.get('post');
    const added = post
      ? `adds p50 ${round(row.p50_ms - post.p50_ms)} ms, p99 ${round(row.p99_ms - post.p99_ms)} ms, CPU ${round((row.cpu_ms_per_req ?? 0) - (post.cpu_ms_per_req ?? 0), 3)} ms/req over post; `
      : '';
    notes.push(`post_webhook: the webhook decision hook ${added}${webhook.calls()} webhook calls, server plugin outcomes: ${outcomes.join(', ') || 'none'}`);
  } finally {
    await server.stop();
    await webhook.close();
  }
}

/**
 * Not reported: JIT, connection pools, and the first sight of every signing user. `everyRoom`: a
 * poll of every room any scenario polls, once per user first, so that no measured scenario (but
 * first_poll_20_rooms) pays a first visit (user and room_users rows, override look-ups).
 */
async function warmUp(server: MeasuredServer, pubkey: string, template: RequestTemplate, everyRoom?: RequestTemplate): Promise<void> {
  if (everyRoom) {
    await drive('warmup_rooms', server, pubkey, { templates: [everyRoom], expect: { kind: 'batch' }, shape: CLOSED, durationMs: 60_000, count: USERS });
    rows.delete('warmup_rooms');
  }
  // Long enough for the JIT to settle: with 200 requests the first measured scenario still ran
  // 30–50% above steady state.
  await drive('warmup', server, pubkey, { templates: [template], expect: { kind: 'batch' }, shape: CLOSED, durationMs: 20_000, count: WARMUP_REQUESTS });
  rows.delete('warmup');
}

/**
 * A member's first poll of 20 rooms (issue 18): every request from an identity the server has
 * never seen, so each creates its user row and 20 room_users rows and reads 20 override rows.
 */
async function firstPollScenario(server: MeasuredServer, pubkey: string, template: () => RequestTemplate): Promise<void> {
  const name = 'first_poll_20_rooms';
  if (!wanted(name)) return;
  const count = countFor(name, POLL_MS, 100);
  const seeds = Array.from({ length: count }, (_, i) => createHash('sha256').update(`scs-bench-first-${i}`).digest('hex'));
  await drive(name, server, pubkey, { templates: [template()], expect: { kind: 'batch' }, shape: CLOSED, durationMs: POLL_MS, count, seeds });
}

interface Env {
  dir: string;
  keyFile: string;
  databaseUrl: string;
  redisPrefix: string;
}

async function startServer(env: Env, extra: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const adminPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const settings: Record<string, string> = {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: env.redisPrefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: String(adminPort),
    KEY_FILE: env.keyFile,
    MASTER_KEY_FILE: join(env.dir, 'master_key'),
    STORAGE_DIR: join(env.dir, 'files'),
    // The bench posts far faster than the reference per-user limit allows (protocol §9.2); 0 = off.
    RATE_LIMIT_POSTS: '0',
    // Its users also poll and react faster than any client: the per-user limits stay on (their cost is
    // part of every request) but out of reach.
    USER_RATE_LIMIT: '1000000',
    DM_RATE_LIMIT: '1000000',
    REACTION_RATE_LIMIT: '1000000',
    UPLOAD_QUOTA_BYTES: '1000000000000',
    FILE_SERVER_UPLOAD_BYTES_RATE: '1000000000000',
    // No plugin unless a scenario configures one (the default ./data/plugins is the checkout's).
    PLUGINS_DIR: join(env.dir, 'plugins'),
    ...extra,
  };
  // API_WORKERS from this environment reaches the server too (startProcess passes process.env on).
  log(`starting server on ${url}${process.env.API_WORKERS ? ` with API_WORKERS=${process.env.API_WORKERS}` : ''}`);
  return startProcess({
    script: join(DIST, 'src', 'main.js'),
    env: settings,
    url,
    adminUrl,
    readyUrl: `${adminUrl}/readyz`,
    logFile: join(env.dir, 'server.log'),
  });
}

/**
 * Upload/download rows from the files benchmark (bench/files.ts, its own databases and servers, fs
 * and s3 drivers, s3rver on loopback): transfers there run one at a time, so req/s is files per
 * second and the latency columns are per-transfer times.
 */
async function fileRows(): Promise<void> {
  for (const r of await benchFiles((line) => log(`files: ${line}`))) {
    const add = (name: string, mbPerS: number, sizeMb: number) => {
      const perFileMs = (sizeMb / mbPerS) * 1000;
      rows.set(`${name}_${r.driver}`, {
        rps: round(mbPerS / sizeMb, 2),
        p50_ms: round(perFileMs),
        p95_ms: round(perFileMs),
        p99_ms: round(perFileMs),
        errors: 0,
        rss_mb: round(r.peakRssMb, 1),
        mb_per_s: round(mbPerS, 1),
      });
    };
    add('upload_1mb', r.upload1MbMBs, 1);
    add('download_1mb', r.download1MbMBs, 1);
    add('upload_10mb', r.upload10MbMBs, 10);
    add('download_10mb', r.download10MbMBs, 10);
    const c = r.concurrentRoom;
    notes.push(
      `${r.driver}: 20 concurrent 10 MB uploads: RSS ${c.baselineRssMb.toFixed(0)} → ${c.peakRssMb.toFixed(0)} MB, ` +
        `${(c.peakRssMb - c.baselineRssMb).toFixed(0)} MB extra for ${c.payloadMb.toFixed(0)} MB payload = ${c.extraRatio.toFixed(2)}× (target ≤ 3×)` +
        (c.failed.length ? `; ${c.failed.length} failed` : ''),
    );
  }
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GB RAM, Node ${process.version}`;
}

function printTable(): void {
  const header = ['scenario', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'RSS MB', 'MB/s', 'CPU ms/req'];
  const lines = [...rows.entries()].map(([name, r]) => [
    name,
    String(r.rps),
    String(r.p50_ms),
    String(r.p95_ms),
    String(r.p99_ms),
    String(r.errors),
    String(r.rss_mb),
    r.mb_per_s === undefined ? '' : String(r.mb_per_s),
    String(r.cpu_ms_per_req ?? ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  process.stdout.write(`\n${fmt(header)}\n|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + (i === 0 ? 1 : 1)) + (i === 0 ? '' : ':')).join('|')}|\n`);
  for (const l of lines) process.stdout.write(`${fmt(l)}\n`);
}

function ratios(): Record<string, number> {
  const r = (a: string, b: string) => {
    const x = rows.get(a)?.rps;
    const y = rows.get(b)?.rps;
    return x !== undefined && y ? round(x / y, 3) : NaN;
  };
  return {
    idle_poll_over_floor: r('idle_poll', 'floor'),
    idle_poll_1m_over_1k: r('idle_poll_1m', 'idle_poll_1k'),
    poll_20_rooms_over_1_room: r('idle_poll_20_rooms', 'idle_poll_1k'),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`machine: ${machine()}${QUICK ? ' (quick mode)' : ''}`);
  mkdirSync(RESULTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'scs-bench-'));
  const keyFile = join(dir, 'key_x25519');
  const serverKey = loadOrCreateServerKey(keyFile);
  const pubkey = TARGET?.pubkey ?? serverKey.publicKeyHex;
  const redisPrefix = `scs-bench:${process.pid}:`;
  // an external target brings its own data (prepared through the protocol below)
  if (!TARGET) await dropOrphanRunDatabases(PG_ADMIN_URL, RUN_DB_PREFIX);
  const databaseUrl = TARGET ? '' : await prepareDatabase(PG_ADMIN_URL, SEED_DB_PREFIX, RUN_DB, log);
  const env: Env = { dir, keyFile, databaseUrl, redisPrefix };
  const workers = process.env.API_WORKERS ?? '';
  let server: MeasuredServer | null = null;
  try {
    const states = TARGET ? await prepareTarget(TARGET, log) : await roomStates(databaseUrl);
    const pollTokens = TARGET?.pollRooms ?? Array.from({ length: POLL_ROOMS }, (_, i) => pollRoom(i));
    const postTokens = TARGET?.postRooms ?? Array.from({ length: POST_ROOMS }, (_, i) => postRoom(i));
    const room = (token: string) => {
      const s = states.get(token);
      if (!s) throw new Error(`seed database has no room ${token}`);
      return s;
    };
    const polled = (n: number) => {
      if (pollTokens.length < n) throw new Error(`a ${n}-room poll needs ${n} rooms, the target has ${pollTokens.length}`);
      return pollTokens.slice(0, n).map(room);
    };
    const latest = (r: RoomState) => r.messageSequence;
    const busy = (r: RoomState) => r.busySince;

    // Floor first, alone on the machine: the same idle-poll requests, minimal handler.
    if (wanted('floor')) {
      const port = await freePort();
      const floor = await startProcess({
        script: join(__dirname, 'floor-server.js'),
        env: { HOST: '127.0.0.1', PORT: String(port), KEY_FILE: keyFile, BENCH_WORKERS: workers || '1' },
        url: `http://127.0.0.1:${port}`,
        adminUrl: '',
        readyUrl: `http://127.0.0.1:${port}/healthz`,
        logFile: join(dir, 'floor.log'),
      });
      try {
        await warmUp(floor, pubkey, pollBatch(polled(3), latest));
        await pollScenario('floor', floor, pubkey, () => pollBatch(polled(3), latest));
      } finally {
        await floor.stop();
      }
    }

    if (SERVER_SCENARIOS.some(wanted)) {
      server = TARGET ? externalServer(TARGET) : await startServer(env);
      const afterStart = server.rssMb();
      log(`server idle RSS ${afterStart.toFixed(1)} MB`);
      await warmUp(server, pubkey, pollBatch(polled(3), latest), pollBatch(TARGET ? polled(pollTokens.length) : [...polled(POLL_ROOMS), room(BIG_ROOM)], latest));
      idleRss = { after_start_mb: round(afterStart, 1), after_warm_up_mb: round(server.rssMb(), 1) };
      notes.push(`idle server RSS right after the warm-up: ${idleRss.after_warm_up_mb} MB (target ≤ 200 MB)`);
      await readSettledIdleRss(server, idleRss);

      await pollScenario('idle_poll', server, pubkey, () => pollBatch(polled(3), latest));
      await sweepScenario(server, pubkey, pollBatch(polled(3), latest));
      await pollScenario('busy_poll', server, pubkey, () => pollBatch(polled(3), busy), { kind: 'open', rate: 1000, maxInFlight: 64 });
      await pollScenario('idle_poll_1k', server, pubkey, () => pollBatch(polled(1), latest));
      await pollScenario('idle_poll_1m', server, pubkey, () => pollBatch([room(BIG_ROOM)], latest));
      await pollScenario('busy_poll_1k', server, pubkey, () => pollBatch(polled(1), busy));
      await pollScenario('busy_poll_1m', server, pubkey, () => pollBatch([room(BIG_ROOM)], busy));
      await pollScenario('idle_poll_20_rooms', server, pubkey, () => pollBatch(polled(POLL_ROOMS), latest));
      await pollScenario('busy_poll_20_rooms', server, pubkey, () => pollBatch(polled(POLL_ROOMS), busy));
      await firstPollScenario(server, pubkey, () => pollBatch(polled(POLL_ROOMS), latest));
      // Routes that once took the full road (injection and the Nest pipeline), not the poll's fast one (issue 13).
      const lobby = polled(1)[0];
      await statusScenario('room_info', server, pubkey, { method: 'GET', path: `/room/${lobby.token}` }, 200);
      // What a client asks before it has joined: no X-SOGS-* headers, nothing to verify but the onion layer.
      await statusScenario('capabilities', server, pubkey, { method: 'GET', path: '/capabilities', anonymous: true }, 200);
      // Each user adds the same reaction again and again: after its first, a write that finds it there.
      await statusScenario('reaction', server, pubkey, { method: 'PUT', path: `/room/${lobby.token}/reaction/${lobby.newestMessage}/%F0%9F%91%8D` }, 200);
      await overloadScenarios(server, pubkey, pollBatch(polled(3), busy));
      // post_64: the same posts from 64 connections, for the group commit (issue 18 item 3).
      for (const [name, shape] of [
        ['post', CLOSED],
        ['post_64', { kind: 'closed', concurrency: 64 }],
      ] as const) {
        if (!wanted(name)) continue;
        const templates = postTemplates(postTokens);
        const before = await postBatches(server);
        await drive(name, server, pubkey, {
          templates,
          expect: { kind: 'status', code: 201 },
          shape,
          durationMs: POLL_MS,
          count: countFor(name, POLL_MS, 300),
        });
        const after = await postBatches(server);
        if (before && after && after.count > before.count) {
          notes.push(`${name}: ${round((after.sum - before.sum) / (after.count - before.count), 2)} posts per commit (scs_post_batch_size)`);
        }
      }
      await populationScenario(server, pubkey, databaseUrl);
      await server.stop();
      server = null;
    }
    if (wanted('post_webhook')) await postWebhookScenario(env, pubkey, [pollBatch(polled(3), latest), pollBatch([...polled(POLL_ROOMS), room(BIG_ROOM)], latest)]);
    if (wanted('files')) await fileRows();
  } finally {
    if (server) await server.stop();
    // ours, and those of the files benchmark run from this process (`scs-bench:<pid>_<driver>_…:`)
    if (!TARGET) {
      await deleteRedisKeys(REDIS_URL, `scs-bench:${process.pid}[:_]*`);
      await dropDatabase(PG_ADMIN_URL, RUN_DB);
    }
    const keepLogs = process.env.BENCH_KEEP_LOGS === '1';
    if (!keepLogs) rmSync(dir, { recursive: true, force: true });
    else log(`server logs kept in ${dir}`);
  }

  printTable();
  const ratioValues = ratios();
  process.stdout.write('\nratios (throughput over throughput):\n');
  for (const [k, v] of Object.entries(ratioValues)) process.stdout.write(`  ${k} = ${v}\n`);
  for (const n of notes) process.stdout.write(`  ${n}\n`);
  const out = {
    machine: machine(),
    scenarios: Object.fromEntries(rows),
    ratios: ratioValues,
    ...(idleRss ? { idle_rss: idleRss } : {}),
    ...(population ? { population } : {}),
    ...(sweep.length ? { sweep } : {}),
  };
  writeCharts();
  writeFileSync(join(RESULTS, RESULTS_FILE), JSON.stringify(out, null, 2) + '\n');
  log(`wrote bench/results/${RESULTS_FILE}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

// Ctrl-C or a kill: exit through process.exit so the started servers are stopped too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

main().catch((err: unknown) => {
  process.stderr.write(`[bench] failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
