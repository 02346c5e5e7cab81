import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Issue 21 item 6: `npm run serve` on a machine without PostgreSQL or Redis installs them as root on
// Debian/Ubuntu (apt-get) and starts them; elsewhere it prints the exact command. scripts/services.sh
// runs here with a PATH of the basic tools plus stand-ins for id, apt-get, pg_ctlcluster and
// redis-server that record their calls (the stand-in servers listen on the port, as the real ones).

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'services.sh');
const TOOLS = ['ls', 'sort', 'tail', 'sleep', 'mkdir', 'cat', 'sh', 'printf'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

/** A stand-in server: listens on the port in the background for a while, its pid recorded. */
const listener = (dir: string) =>
  `${process.execPath} -e "require('net').createServer().listen(+process.argv[1], '127.0.0.1'); setTimeout(() => process.exit(), 20000)" "$port" </dev/null >/dev/null 2>&1 &\necho $! >> "${dir}/pids"\n`;

describe('scripts/services.sh: missing PostgreSQL and Redis', () => {
  let dir: string;
  let bin: string;
  let port: number;

  const log = (name: string) => (existsSync(join(dir, `${name}.log`)) ? readFileSync(join(dir, `${name}.log`), 'utf8') : '');
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "$*" >> "${dir}/${name}.log"\n${body}`);
    chmodSync(join(bin, name), 0o755);
  };
  const pgStub = () => stub('pg_ctlcluster', `[ "$4" = start ] || exit 0\nport=$PGPORT_STUB\n${listener(dir)}`);
  const redisStub = () => stub('redis-server', `while [ $# -gt 0 ]; do [ "$1" = --port ] && port=$2; shift; done\n${listener(dir)}`);
  /** Runs one function of services.sh as serve.sh does (set -euo pipefail). */
  const run = (fn: 'ensure_postgres' | 'ensure_redis', opts: { uid: number; apt: boolean; install?: boolean }) => {
    stub('id', `echo ${opts.uid}\n`);
    if (opts.apt) {
      // apt-get "installs" the package: Debian's cluster directory and the server binary appear.
      stub(
        'apt-get',
        `case "$*" in *"install -y -qq postgresql"*) mkdir -p "${dir}/etc/15/main" && echo 'host all all 127.0.0.1/32 scram-sha-256' > "${dir}/etc/15/main/pg_hba.conf" && cp "${dir}/pending/pg_ctlcluster" "${bin}/";;\n` +
          `*"install -y -qq redis-server"*) cp "${dir}/pending/redis-server" "${bin}/";; esac\n`,
      );
    }
    const url = fn === 'ensure_postgres' ? `postgresql://postgres@127.0.0.1:${port}/x` : `redis://127.0.0.1:${port}`;
    const res = spawnSync('/bin/bash', ['--norc', '--noprofile', '-c', `set -euo pipefail; source "${SCRIPT}"; ${fn} "${url}"`], {
      env: { PATH: bin, PG_ETC: join(dir, 'etc'), PGPORT_STUB: String(port), ...(opts.install ? { INSTALL_MISSING: '1' } : {}) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scs-services-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    mkdirSync(join(dir, 'pending'));
    for (const tool of [...TOOLS, 'cp'])
      for (const d of ['/usr/bin', '/bin']) if (existsSync(join(d, tool)) && !existsSync(join(bin, tool))) symlinkSync(join(d, tool), join(bin, tool));
    port = await freePort();
    // What apt-get would install, kept aside until it "runs".
    const real = bin;
    bin = join(dir, 'pending');
    pgStub();
    redisStub();
    bin = real;
  });
  afterEach(() => {
    if (existsSync(join(dir, 'pids')))
      for (const pid of readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid));
        } catch {
          // already gone
        }
      }
    rmSync(dir, { recursive: true, force: true });
  });

  test('not root, with apt-get: nothing is installed; the message names the sudo command and the root alternative', () => {
    const pg = run('ensure_postgres', { uid: 1000, apt: true, install: true });
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain(`PostgreSQL is not installed and nothing answers at 127.0.0.1:${port}.`);
    expect(pg.stderr).toContain('  Install it:    sudo apt-get install -y postgresql   (or run npm run serve as root: it installs and starts it)');
    expect(pg.stderr).toContain(`  Docker:        docker run -d -p ${port}:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17.6`);
    const redis = run('ensure_redis', { uid: 1000, apt: true, install: true });
    expect(redis.code).toBe(1);
    expect(redis.stderr).toContain('  Install it:    sudo apt-get install -y redis-server   (or run npm run serve as root: it installs and starts it)');
    expect(log('apt-get')).toBe('');
  });

  test('root without apt-get: the exact commands for Debian/Ubuntu and Docker', () => {
    const pg = run('ensure_postgres', { uid: 0, apt: false, install: true });
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain('  Debian/Ubuntu: apt-get install -y postgresql');
    const redis = run('ensure_redis', { uid: 0, apt: false, install: true });
    expect(redis.code).toBe(1);
    expect(redis.stderr).toContain(`  Docker:        docker run -d -p ${port}:6379 redis:7.4.5`);
  });

  test('root with apt-get but not asked to install (npm test): the message says npm run serve would', () => {
    const pg = run('ensure_postgres', { uid: 0, apt: true });
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain('  Install it:    apt-get install -y postgresql   (npm run serve does this itself)');
    expect(log('apt-get')).toBe('');
  });

  test('root with apt-get (npm run serve): PostgreSQL is installed, its new cluster trusts loopback, and it is started', () => {
    const pg = run('ensure_postgres', { uid: 0, apt: true, install: true });
    expect(pg).toMatchObject({ code: 0, stderr: '' });
    expect(pg.stdout).toContain('Installing postgresql (apt-get install postgresql)...');
    expect(log('apt-get').split('\n')).toEqual(['update -qq', 'install -y -qq postgresql', '']);
    expect(readFileSync(join(dir, 'etc/15/main/pg_hba.conf'), 'utf8')).toBe('local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n');
    expect(log('pg_ctlcluster')).toContain('--skip-systemctl-redirect 15 main start');
  });

  test('root with apt-get (npm run serve): Redis is installed and started on the port of REDIS_URL', () => {
    const redis = run('ensure_redis', { uid: 0, apt: true, install: true });
    expect(redis).toMatchObject({ code: 0, stderr: '' });
    expect(log('apt-get')).toContain('install -y -qq redis-server');
    expect(log('redis-server')).toContain(`--port ${port}`);
  });

  test('an installed cluster is started as it is: no apt-get, its pg_hba.conf untouched', () => {
    mkdirSync(join(dir, 'etc/16/main'), { recursive: true });
    writeFileSync(join(dir, 'etc/16/main/pg_hba.conf'), 'host all all 127.0.0.1/32 scram-sha-256\n');
    bin = join(dir, 'bin');
    pgStub();
    const pg = run('ensure_postgres', { uid: 0, apt: true, install: true });
    expect(pg.code).toBe(0);
    expect(log('apt-get')).toBe('');
    expect(log('pg_ctlcluster')).toContain('16 main start');
    expect(readFileSync(join(dir, 'etc/16/main/pg_hba.conf'), 'utf8')).toBe('host all all 127.0.0.1/32 scram-sha-256\n');
  });
});
