import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import S3rver from 's3rver';
import { SogsClient } from '../src/client';
import { loadOrCreateServerKey } from '../src/config/server-key';
import { migrate } from '../src/database/migrate';
import { freePort, startProcess, type ServerProcess } from './server-process';

/*
 * Files benchmark (issue 4): uploads and downloads of 1 MB and 10 MB room files through the onion
 * path, with the fs and the s3 driver (s3rver on loopback), against the built server as its own
 * process; then 20 concurrent 10 MB uploads, reporting the server's extra memory against the
 * payload (target: under 3x). Run: `npm run build && npm run build:bench && node dist/bench/files.js [--quick]`.
 * Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL). BENCH_DRIVERS=fs or s3 runs one
 * driver; BENCH_KEEP=1 keeps the server log.
 */

const ADMIN_DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUICK = process.argv.includes('--quick');
const MB = 1_000_000;
const CONCURRENT = 20;
const ROOM = 'files';

interface DriverResult {
  driver: string;
  upload1MbMBs: number;
  download1MbMBs: number;
  upload10MbMBs: number;
  download10MbMBs: number;
  peakRssMb: number;
  concurrentRoom: ConcurrentResult;
  concurrentFileServer: ConcurrentResult;
}

interface ConcurrentResult {
  baselineRssMb: number;
  peakRssMb: number;
  payloadMb: number;
  /** Server memory above the baseline per byte of payload in flight (target < 3). */
  extraRatio: number;
  /** Uploads answered with another status than success (e.g. a 503 from an overloaded dependency). */
  failed: string[];
}

/**
 * CONCURRENT uploads of 10 MB sent at once. The onion frames are built first, so the measured
 * window is the server's work; memory is the server process tree's RSS.
 */
async function concurrentUploads(
  server: ServerProcess,
  pubkey: string,
  path: string,
  okCode: number,
  signed: boolean,
): Promise<{ result: ConcurrentResult; peakMb: number; summary: string }> {
  const clients = Array.from(
    { length: CONCURRENT },
    () => new SogsClient({ baseUrl: server.url, serverPubkey: pubkey, seed: signed ? new Uint8Array(randomBytes(32)) : undefined, timeoutMs: 300_000 }),
  );
  const frames = clients.map((client) => client.buildOnionRequest({ method: 'POST', path, body: randomBytes(10 * MB) }));
  await new Promise((r) => setTimeout(r, 1500));
  const baseline = server.rssMb();
  const { result: failed, peakMb } = await peakDuring(server, async () => {
    const outcomes = await Promise.all(
      frames.map(async (built, i) => {
        // A body refused while it is still being sent (the server's pending-body budget) may end the
        // connection under the sender: a refusal like the plain 503 below, not a crash of the bench.
        const raw = await clients[i].sendRawFrame(built.frame, built.path).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
        if (raw instanceof Error) return `connection ended: ${raw.message}`;
        // A refusal before decryption (the gateway cannot encrypt to a key it has not read) is plain HTTP.
        if (raw.status !== 200) return `outer ${raw.status} ${raw.body.subarray(0, 120).toString()}`;
        const reply = built.decodeReply(raw.body, raw.status);
        return reply.code === okCode ? null : `${reply.code} ${reply.text()}`;
      }),
    );
    return outcomes.filter((o) => o !== null);
  });
  const payloadMb = (CONCURRENT * 10 * MB) / 1048576;
  const extraRatio = (peakMb - baseline) / payloadMb;
  const summary =
    `RSS ${baseline.toFixed(0)} → peak ${peakMb.toFixed(0)} MB, extra ${(peakMb - baseline).toFixed(0)} MB for ${payloadMb.toFixed(0)} MB payload = ` +
    `${extraRatio.toFixed(2)}x (target < 3x)${failed.length ? `; ${failed.length} failed (${failed[0]})` : ''}`;
  return { result: { baselineRssMb: baseline, peakRssMb: peakMb, payloadMb, extraRatio, failed }, peakMb, summary };
}

function dbUrl(name: string): string {
  const url = new URL(ADMIN_DB_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Samples the server's RSS every 25 ms while `work` runs; returns the peak (MB). */
async function peakDuring<T>(server: ServerProcess, work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = server.rssMb();
  const timer = setInterval(() => {
    peak = Math.max(peak, server.rssMb());
  }, 25);
  try {
    const result = await work();
    peak = Math.max(peak, server.rssMb());
    return { result, peakMb: peak };
  } finally {
    clearInterval(timer);
  }
}

async function uploadFile(client: SogsClient, body: Uint8Array): Promise<number> {
  const res = await client.request({ method: 'POST', path: `/room/${ROOM}/file`, body });
  if (res.code !== 201) throw new Error(`upload answered ${res.code}: ${res.text()}`);
  return res.json<{ id: number }>().id;
}

async function downloadFile(client: SogsClient, id: number, size: number): Promise<void> {
  const res = await client.get(`/room/${ROOM}/file/${id}`);
  if (res.code !== 200 || res.body.length !== size) throw new Error(`download of ${id} answered ${res.code} with ${res.body.length} bytes`);
}

/** Sequential transfers of `count` files of `size` bytes: upload then download throughput (MB/s). */
async function throughput(client: SogsClient, size: number, count: number): Promise<{ up: number; down: number }> {
  const bodies = Array.from({ length: count }, () => randomBytes(size));
  let t = performance.now();
  const ids: number[] = [];
  for (const body of bodies) ids.push(await uploadFile(client, body));
  const up = (size * count) / MB / ((performance.now() - t) / 1000);
  t = performance.now();
  for (const id of ids) await downloadFile(client, id, size);
  const down = (size * count) / MB / ((performance.now() - t) / 1000);
  return { up, down };
}

async function runDriver(driver: 'fs' | 's3', s3Endpoint: string, log: (line: string) => void): Promise<DriverResult> {
  const run = `${process.pid}_${driver}_${randomBytes(3).toString('hex')}`;
  const database = `scs_bench_files_${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'scs-bench-files-'));
  await migrate(dbUrl(database));
  const pg = new Client({ connectionString: dbUrl(database) });
  await pg.connect();
  await pg.query('INSERT INTO rooms (token, name) VALUES ($1, $2)', [ROOM, ROOM]);
  await pg.end();

  const [port, adminPort] = [await freePort(), await freePort()];
  const server = await startProcess({
    script: join(__dirname, '..', 'src', 'main.js'),
    env: {
      DATABASE_URL: dbUrl(database),
      REDIS_URL,
      REDIS_PREFIX: `scs-bench:${run}:`,
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      LOG_LEVEL: 'warn',
      KEY_FILE: join(dir, 'key'),
      MASTER_KEY_FILE: join(dir, 'master_key'),
      STORAGE_DRIVER: driver,
      STORAGE_DIR: join(dir, 'files'),
      UPLOAD_CONCURRENCY: String(CONCURRENT * 2),
      FILE_SERVER_MAX_SIZE: String(10 * MB),
      // It uploads as fast as one machine can: the server-wide upload rate on, but out of reach.
      FILE_SERVER_UPLOAD_BYTES_RATE: String(1_000_000 * MB),
      FILE_SERVER_UPLOAD_RATE: '1000000',
      UPLOAD_QUOTA_BYTES: String(1_000_000 * MB),
      ...(driver === 's3' ? { S3_ENDPOINT: s3Endpoint, S3_BUCKET: `bench-${run.replace(/_/g, '-')}`, S3_ACCESS_KEY: 'S3RVER', S3_SECRET_KEY: 'S3RVER' } : {}),
    },
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    readyUrl: `http://127.0.0.1:${adminPort}/readyz`,
    logFile: join(dir, 'server.log'),
  });
  try {
    // The server created its key file on start; the client encrypts to its public key.
    const pubkey = loadOrCreateServerKey(join(dir, 'key')).publicKeyHex;
    const client = new SogsClient({ baseUrl: server.url, serverPubkey: pubkey, seed: new Uint8Array(randomBytes(32)), timeoutMs: 120_000 });
    await uploadFile(client, randomBytes(1000)); // warm-up: user row, connections, JIT

    const { result: small, peakMb: peakSmall } = await peakDuring(server, () => throughput(client, 1 * MB, QUICK ? 5 : 20));
    log(`${driver}: 1 MB   upload ${small.up.toFixed(1)} MB/s, download ${small.down.toFixed(1)} MB/s`);
    const { result: big, peakMb: peakBig } = await peakDuring(server, () => throughput(client, 10 * MB, QUICK ? 2 : 5));
    log(`${driver}: 10 MB  upload ${big.up.toFixed(1)} MB/s, download ${big.down.toFixed(1)} MB/s`);

    const room = await concurrentUploads(server, pubkey, `/room/${ROOM}/file`, 201, true);
    log(`${driver}: ${CONCURRENT} concurrent 10 MB room uploads: ${room.summary}`);
    const fileServer = await concurrentUploads(server, pubkey, '/file', 200, false);
    log(`${driver}: ${CONCURRENT} concurrent 10 MB file-server uploads: ${fileServer.summary}`);
    return {
      driver,
      upload1MbMBs: small.up,
      download1MbMBs: small.down,
      upload10MbMBs: big.up,
      download10MbMBs: big.down,
      peakRssMb: Math.max(peakSmall, peakBig, room.peakMb, fileServer.peakMb),
      concurrentRoom: room.result,
      concurrentFileServer: fileServer.result,
    };
  } finally {
    await server.stop();
    const admin = new Client({ connectionString: ADMIN_DB_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    if (process.env.BENCH_KEEP) log(`${driver}: server log kept in ${join(dir, 'server.log')}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFiles(log: (line: string) => void = console.log): Promise<DriverResult[]> {
  const s3Dir = mkdtempSync(join(tmpdir(), 'scs-bench-s3-'));
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, vhostBuckets: false });
  const { port } = await s3.run();
  try {
    const results: DriverResult[] = [];
    for (const driver of (process.env.BENCH_DRIVERS ?? 'fs,s3').split(',') as Array<'fs' | 's3'>) results.push(await runDriver(driver, `http://127.0.0.1:${port}`, log));
    return results;
  } finally {
    await s3.close();
    rmSync(s3Dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchFiles().then(
    (results) => {
      console.log(JSON.stringify(results, null, 2));
      const over = results.filter((r) => r.concurrentRoom.extraRatio >= 3 || r.concurrentFileServer.extraRatio >= 3);
      process.exit(over.length ? 1 : 0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
