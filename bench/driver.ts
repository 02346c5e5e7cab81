import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SogsClient, type BuiltOnionRequest } from '../src/client';
import type { DriverJob, DriverMessage, DriverResult, Expectation, ParentMessage, RequestTemplate } from './job';
import { postJson } from './post-data';

/*
 * A load driver: a child process of bench/main.ts, so it never runs in the server's event loop.
 * It pre-builds every request with the project's client (each one freshly signed, with its own
 * nonce and ephemeral key: signing a blinded request costs about a millisecond, far too much to do
 * while measuring), waits for "go", then sends them over keep-alive loopback connections and
 * reports each latency and every reply that is not what the scenario expects.
 */

const GRACE_MS = 10_000;

function send(agent: Agent, url: URL, path: string, frame: Buffer, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        // also cancels a request still queued for a connection
        signal: AbortSignal.timeout(timeoutMs),
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/octet-stream', 'content-length': frame.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(frame);
  });
}

function build(job: DriverJob): BuiltOnionRequest[] {
  // Clients are made on first use: a population run names thousands of members, each a blinding.
  const clients = new Map<number, SogsClient>();
  const clientOf = (member: number) => {
    let c = clients.get(member);
    if (!c) {
      c = new SogsClient({ baseUrl: job.url, serverPubkey: job.serverPubkeyHex, seed: new Uint8Array(Buffer.from(job.userSeeds[member], 'hex')) });
      clients.set(member, c);
    }
    return c;
  };
  const anonymous = new SogsClient({ baseUrl: job.url, serverPubkey: job.serverPubkeyHex });
  const plan = job.plan;
  const built: BuiltOnionRequest[] = [];
  for (let i = 0; i < job.count; i++) {
    const member = plan ? plan.member[i] : (job.userOffset + i) % job.userSeeds.length;
    const t: RequestTemplate = job.templates[plan ? plan.template[i] : i % job.templates.length];
    const client = t.anonymous ? anonymous : clientOf(member);
    if (t.postBytes !== undefined) {
      built.push(client.buildOnionRequest({ method: t.method, path: t.path, json: postJson(t.postBytes) }));
    } else if (t.uploadBytes !== undefined) {
      const headers = { 'Content-Disposition': `attachment; filename="bench-${i}.bin"` };
      built.push(client.buildOnionRequest({ method: t.method, path: t.path, body: new Uint8Array(randomBytes(t.uploadBytes)), headers }));
    } else if (t.dmBytes !== undefined) {
      const peer = clientOf((member + 1) % job.userSeeds.length);
      const json = { message: randomBytes(t.dmBytes).toString('base64') };
      built.push(client.buildOnionRequest({ method: t.method, path: `/inbox/${peer.sessionId}`, json }));
    } else {
      built.push(client.buildOnionRequest({ method: t.method, path: t.path, json: t.json }));
    }
  }
  return built;
}

/** The reply is a valid refusal of a server at capacity (an overload run allows these). */
const REFUSED = 'refused';

const ITEM = Buffer.from('{"code":');

/**
 * Why a sub-response of a /batch reply is not 200 or 304 (null when none is), read without parsing
 * the bodies: the server encodes every item as `{"code":NNN,"headers":…` and no JSON string holds
 * an unescaped quote, so that text starts items only. A 31 KB reply (3 rooms of 6 new 1 KB
 * messages) took 0.28 ms to parse and takes 0.04 ms to scan, at a server cost of about 2 ms.
 */
function badBatchItem(body: Buffer): string | null {
  for (let at = body.indexOf(ITEM); at >= 0; at = body.indexOf(ITEM, at + ITEM.length)) {
    const code = Number(body.toString('latin1', at + ITEM.length, at + ITEM.length + 3));
    if (code !== 200 && code !== 304) return `sub-request ${code}: ${body.subarray(at, at + 200).toString('utf8')}`;
  }
  return null;
}

/** null when the reply is what the scenario expects, REFUSED for an allowed refusal, else why not. */
function check(expect: Expectation, built: BuiltOnionRequest, status: number, body: Buffer): string | null {
  if (status !== 200) return `outer ${status}: ${body.subarray(0, 120).toString('utf8')}`;
  const res = built.decodeReply(body, status);
  switch (expect.kind) {
    case 'batch': {
      if (expect.refusals && res.code === 503 && res.headers['retry-after'] !== undefined) return REFUSED;
      if (res.code !== 200) return `batch ${res.code}: ${res.body.subarray(0, 120).toString('utf8')}`;
      return badBatchItem(res.body);
    }
    case 'status':
      return res.code === expect.code ? null : `${res.code}: ${res.body.subarray(0, 120).toString('utf8')}`;
  }
}

async function run(job: DriverJob, built: BuiltOnionRequest[], buildMs: number): Promise<DriverResult> {
  const url = new URL(job.url);
  const sockets = job.shape.kind === 'closed' ? job.shape.concurrency : job.shape.maxInFlight;
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let refused = 0;
  let replyBytes = 0;
  let next = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const deadline = start + job.durationMs;

  const templateOf = (index: number): RequestTemplate => job.templates[job.plan ? job.plan.template[index] : index % job.templates.length];

  const one = async (index: number, scheduled: number): Promise<void> => {
    const req = built[index];
    let why: string | null;
    try {
      // Requests still unanswered GRACE_MS after the deadline are cut off and count as errors.
      const { status, body } = await send(agent, url, req.path, req.frame, Math.max(1, Math.ceil(deadline + GRACE_MS - performance.now())));
      replyBytes += body.length;
      why = check(templateOf(index).expect ?? job.expect, req, status, body);
    } catch (err) {
      why = (err as Error).message;
    }
    if (why === REFUSED) {
      refused++;
      return;
    }
    latencies.push(performance.now() - scheduled);
    if (why !== null) {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(why);
    }
  };

  if (job.shape.kind === 'closed') {
    const lane = async () => {
      while (next < built.length && performance.now() < deadline) {
        const index = next++;
        await one(index, performance.now());
      }
    };
    await Promise.all(Array.from({ length: job.shape.concurrency }, lane));
  } else {
    // open loop: request i is due at start + i / rate; a schedule gives each request its own time
    const plan = job.plan;
    const interval = job.shape.kind === 'open' ? 1000 / job.shape.rate : 0;
    const dueAt = plan ? (i: number) => start + plan.at[i] : (i: number) => start + i * interval;
    const pending = new Set<Promise<void>>();
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (next < built.length && dueAt(next) <= now && dueAt(next) < deadline) {
          const index = next++;
          const p = one(index, dueAt(index));
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
        if (next >= built.length || now >= deadline) resolve();
        // sleep until the next request is due, not 1 ms at a time: at a few hundred requests a second
        // the polling timer alone cost each driver a tenth of a core the server could have had
        else setTimeout(tick, Math.max(1, Math.floor(Math.min(dueAt(next), deadline) - now)));
      };
      tick();
    });
    await Promise.all(pending);
  }
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  agent.destroy();
  return { latencies, completed: latencies.length, errors, refused, errorSamples, elapsedMs, buildMs, cpuMs: (cpu.user + cpu.system) / 1000, replyBytes };
}

function reply(message: DriverMessage): void {
  process.send?.(message);
}

let job: DriverJob | null = null;
let built: BuiltOnionRequest[] = [];
let buildMs = 0;

process.on('message', (message: ParentMessage) => {
  if (message.type === 'job') {
    job = message.job;
    const t0 = performance.now();
    try {
      built = build(job);
    } catch (err) {
      reply({ type: 'failed', error: (err as Error).stack ?? String(err) });
      return;
    }
    buildMs = performance.now() - t0;
    reply({ type: 'ready' });
  } else if (message.type === 'go' && job) {
    run(job, built, buildMs).then(
      (result) => reply({ type: 'result', result }),
      (err: unknown) => reply({ type: 'failed', error: (err as Error).stack ?? String(err) }),
    );
  }
});

// The orchestrator went away (finished, or was stopped): nothing left to report to.
process.on('disconnect', () => process.exit(0));
