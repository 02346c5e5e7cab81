import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { x25519 } from '@noble/curves/ed25519.js';

// The Dockerfile and the container entrypoint, checked without a Docker engine (none exists on
// these machines): the image's structure, and the entrypoint's key commands run for real against
// the server's own key code.

const ROOT = join(__dirname, '..', '..');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

/** Dockerfile → stages of instructions (line continuations joined, comments dropped). */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const instruction = { op: op.toUpperCase(), args: rest.replace(/\s+/g, ' ') };
    if (instruction.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)!;
      stages.push({ from: m[1], name: m[2] ?? null, instructions: [] });
    } else if (stages.length) {
      stages[stages.length - 1].instructions.push(instruction);
    } else {
      args.push(instruction);
    }
  }
  return { args, stages };
}

describe('Dockerfile', () => {
  const { args, stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const [build, runtime] = stages;
  const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

  it('is multi-stage on Node 24 slim: a build stage and a runtime stage', () => {
    expect(args).toContainEqual({ op: 'ARG', args: 'NODE_IMAGE=node:24-slim' });
    expect(stages.map((s) => [s.from, s.name])).toEqual([
      ['${NODE_IMAGE}', 'build'],
      ['${NODE_IMAGE}', 'runtime'],
    ]);
  });

  it('builds with npm ci and the project build, then prunes to production dependencies', () => {
    const runs = ops(build, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run build/);
    expect(runs).toMatch(/npm prune --omit=dev/);
    expect(runs).not.toMatch(/npm install/);
    // Prisma runs on the pg adapter and its wasm compiler: no engine download at build or start.
    expect(ops(build, 'ENV').join(' ')).toContain('PRISMA_SCHEMA_ENGINE_BINARY=/bin/false');
    // Native addons compile from the npm package rather than fetching a prebuilt binary (as .ci/run).
    expect(ops(build, 'ENV').join(' ')).toContain('npm_config_build_from_source=true');
    expect(runs).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
  });

  it('the runtime stage copies only built output, runs as a numeric non-root user and installs nothing', () => {
    const copies = ops(runtime, 'COPY');
    expect(
      copies
        .filter((c) => c.includes('--from=build'))
        .map((c) => c.split(' ').slice(-2)[0])
        .sort(),
    ).toEqual(['/app/dist', '/app/node_modules', '/app/package.json', '/app/prisma'].sort());
    const users = ops(runtime, 'USER');
    expect(users).toEqual(['1000:1000']);
    const afterUser = runtime.instructions.slice(runtime.instructions.findIndex((i) => i.op === 'USER'));
    expect(afterUser.some((i) => i.op === 'RUN' || i.op === 'COPY')).toBe(false);
    // npm leaves the runtime image; nothing there can install a package at start.
    expect(ops(runtime, 'RUN').join(' ')).toMatch(/rm -rf [^&]*\/usr\/local\/lib\/node_modules\/npm/);
    expect(ops(runtime, 'RUN').join(' ')).not.toMatch(/npm (ci|install|i )/);
    expect(ops(runtime, 'VOLUME')).toEqual([]);
  });

  it('has a HEALTHCHECK on the admin port /healthz with node (no curl in slim) and the dispatching entrypoint', () => {
    const [health] = ops(runtime, 'HEALTHCHECK');
    expect(health).toMatch(/CMD \["node", "-e", ".*\/healthz.*"\]/);
    expect(health).toContain('ADMIN_PORT');
    expect(ops(runtime, 'ENTRYPOINT')).toEqual(['["/usr/local/bin/entrypoint"]']);
    expect(ops(runtime, 'CMD')).toEqual(['["all"]']);
    expect(ops(runtime, 'EXPOSE')).toEqual(['3000']);
  });

  it('.dockerignore keeps the context to what the build copies', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*$/m);
    for (const path of ['src/**', 'prisma/**', 'package-lock.json', 'docker/**']) expect(ignore).toContain(`!${path}`);
    for (const copy of ops(build, 'COPY')) {
      for (const source of copy
        .split(' ')
        .slice(0, -1)
        .filter((s) => !s.startsWith('--'))) {
        expect(ignore).toMatch(new RegExp(`^!${source.replace(/[.*]/g, '\\$&')}(/\\*\\*)?$`, 'm'));
      }
    }
  });
});

describe('docker/entrypoint.sh', () => {
  let app: string;
  let work: string;

  // The entrypoint runs the server's own key code from dist/; compile just those two files here so
  // the test needs no full build.
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'entrypoint-app-'));
    for (const file of ['src/config/server-key.ts', 'src/files/encryption/master-keys.ts']) {
      const out = ts.transpileModule(readFileSync(join(ROOT, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      const target = join(app, 'dist', file.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, out.outputText);
    }
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'entrypoint-keys-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const run = (args: string[], input?: Buffer) =>
    spawnSync('sh', [join(ROOT, 'docker', 'entrypoint.sh'), ...args], {
      input,
      env: {
        PATH: process.env.PATH,
        APP_DIR: app,
        NODE_PATH: join(ROOT, 'node_modules'),
        KEY_FILE: join(work, 'keys', 'key_x25519'),
        MASTER_KEY_FILE: join(work, 'keys', 'master_key'),
      },
    });

  it('init-keys creates both keys once (32 bytes, mode 0600) and prints the public key; a rerun keeps them', () => {
    const first = run(['init-keys']);
    expect(first.stderr.toString()).toBe('');
    expect(first.status).toBe(0);
    const key = readFileSync(join(work, 'keys', 'key_x25519'));
    const master = readFileSync(join(work, 'keys', 'master_key'));
    expect(key).toHaveLength(32);
    expect(master).toHaveLength(32);
    expect(statSync(join(work, 'keys', 'key_x25519')).mode & 0o777).toBe(0o600);
    expect(statSync(join(work, 'keys', 'master_key')).mode & 0o777).toBe(0o600);
    expect(first.stdout.toString().trim()).toBe(`Server public key ${Buffer.from(x25519.getPublicKey(key)).toString('hex')}`);
    expect(run(['init-keys']).status).toBe(0);
    expect(readFileSync(join(work, 'keys', 'key_x25519'))).toEqual(key);
    expect(readFileSync(join(work, 'keys', 'master_key'))).toEqual(master);
  });

  it('import-key server takes a pysogs key_x25519 from stdin, and never overwrites an existing key', () => {
    mkdirSync(join(work, 'keys'));
    const pysogsKey = Buffer.alloc(32, 9);
    const imported = run(['import-key', 'server'], pysogsKey);
    expect(imported.status).toBe(0);
    expect(readFileSync(join(work, 'keys', 'key_x25519'))).toEqual(pysogsKey);
    expect(imported.stdout.toString()).toContain(Buffer.from(x25519.getPublicKey(pysogsKey)).toString('hex'));
    expect(existsSync(join(work, 'keys', 'master_key'))).toBe(true);
    const again = run(['import-key', 'server'], Buffer.alloc(32, 1));
    expect(again.status).toBe(1);
    expect(again.stderr.toString()).toMatch(/already exists; refusing to overwrite/);
    expect(readFileSync(join(work, 'keys', 'key_x25519'))).toEqual(pysogsKey);
    expect(run(['import-key', 'other']).status).toBe(64);
  });

  it('dispatches cli and unknown commands', () => {
    const passthrough = run(['echo', 'hello']);
    expect(passthrough.stdout.toString()).toBe('hello\n');
    // `cli` runs dist/src/cli/main.js; here that file does not exist, so node names it.
    const cli = run(['cli', 'keys', 'show']);
    expect(cli.status).not.toBe(0);
    expect(cli.stderr.toString()).toContain(join(app, 'dist', 'src', 'cli', 'main.js'));
    expect(execFileSync('sh', ['-n', join(ROOT, 'docker', 'entrypoint.sh')]).toString()).toBe('');
  });
});
