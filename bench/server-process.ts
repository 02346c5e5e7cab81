import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/*
 * A server under test as its own OS process (so its memory is measurable and it has its own event
 * loop), started with environment settings the way the README starts it: `node dist/src/main.js`.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface ProcSample {
  rssMb: number;
  cpuSeconds: number;
}

/** Resident memory (MB) and CPU time used so far (s) of a process and all its descendants (cluster workers count too). */
export function treeUsage(rootPid: number): ProcSample {
  const children = new Map<number, number[]>();
  const usage = new Map<number, ProcSample>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      // proc(5) fields 14/15 (utime, stime, clock ticks) and 24 (rss, pages), counted from field 3
      usage.set(pid, { rssMb: (Number(fields[21]) * 4096) / 1048576, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS });
      const list = children.get(ppid) ?? [];
      list.push(pid);
      children.set(ppid, list);
    } catch {
      // the process went away while we read /proc
    }
  }
  const total: ProcSample = { rssMb: 0, cpuSeconds: 0 };
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop() as number;
    total.rssMb += usage.get(pid)?.rssMb ?? 0;
    total.cpuSeconds += usage.get(pid)?.cpuSeconds ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * CPU seconds used so far by every process with one of these names (PostgreSQL, Redis), counting
 * reaped children too: what the server's work costs its services. Shared services also serve
 * anything else running on the machine, so this is an upper bound.
 */
export function namedProcessesCpuSeconds(names: string[]): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!names.some((n) => name.startsWith(n))) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // proc(5) fields 14–17: utime, stime, cutime, cstime
      total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
    } catch {
      // the process went away while we read /proc
    }
  }
  return total;
}

/** USER_HZ: Linux reports process times in 1/100 s on every architecture we run on. */
const CLOCK_TICKS = 100;

/** What the bench measures a server by (one it started, or one started elsewhere: bench/external.ts). */
export interface MeasuredServer {
  url: string;
  adminUrl: string;
  rssMb(): number;
  /** CPU seconds used so far by the server's processes (a load-independent cost measure). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** A server the bench started as its own child process. */
export interface ServerProcess extends MeasuredServer {
  child: ChildProcess;
}

async function waitFor(url: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was ready; see ${logFile}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready at ${url} after ${timeoutMs} ms; see ${logFile}`);
}

/**
 * Starts `node <script>` with `env` added to this process's environment; ready when `readyPath`
 * on `readyBase` answers 200. Output goes to `logFile`.
 */
export async function startProcess(opts: {
  script: string;
  env: Record<string, string>;
  url: string;
  adminUrl: string;
  readyUrl: string;
  logFile: string;
}): Promise<ServerProcess> {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server under load.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, opts.script], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Never leave a server behind when the bench itself is stopped.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  try {
    await waitFor(opts.readyUrl, child, 60_000, opts.logFile);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    url: opts.url,
    adminUrl: opts.adminUrl,
    rssMb: () => (child.pid ? treeUsage(child.pid).rssMb : 0),
    cpuSeconds: () => (child.pid ? treeUsage(child.pid).cpuSeconds : 0),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', orphanGuard);
      log.end();
    },
  };
}
