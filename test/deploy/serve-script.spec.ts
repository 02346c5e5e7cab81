import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Issue 21 item 6: a second `npm run serve` with nothing changed does not rebuild
// (scripts/build-stamp.sh). Run on a scratch tree with a stand-in `npm` on PATH that counts builds.

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'build-stamp.sh');

describe('npm run serve rebuilds only when the build inputs changed', () => {
  let dir: string;
  const builds = () => readFileSync(join(dir, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
  const serveBuild = () =>
    execFileSync('bash', ['-c', `source "${SCRIPT}" && build_if_changed`], {
      cwd: join(dir, 'tree'),
      env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scs-serve-'));
    mkdirSync(join(dir, 'bin'));
    // The stand-in build: records the call and writes what tsc would.
    writeFileSync(join(dir, 'bin', 'npm'), `#!/bin/sh\necho "$*" >> "${join(dir, 'builds.log')}"\nmkdir -p dist/src && echo built > dist/src/main.js\n`);
    chmodSync(join(dir, 'bin', 'npm'), 0o755);
    writeFileSync(join(dir, 'builds.log'), '');
    for (const d of ['tree/src/generated', 'tree/prisma']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'tree/src/main.ts'), 'export {};\n');
    writeFileSync(join(dir, 'tree/prisma/schema.prisma'), 'model A { id Int @id }\n');
    writeFileSync(join(dir, 'tree/package-lock.json'), '{}\n');
    writeFileSync(join(dir, 'tree/tsconfig.json'), '{}\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds once, then skips while nothing changed', () => {
    expect(serveBuild()).toContain('Building...');
    expect(serveBuild()).toContain('Build is up to date');
    expect(builds()).toBe(1);
  });

  it('rebuilds after a change to src, prisma, the lock file or a tsconfig, and when dist is gone', () => {
    serveBuild();
    for (const file of ['src/main.ts', 'prisma/schema.prisma', 'package-lock.json', 'tsconfig.json']) {
      appendFileSync(join(dir, 'tree', file), '\n');
      expect(serveBuild()).toContain('Building...');
    }
    rmSync(join(dir, 'tree/dist/src/main.js'));
    expect(serveBuild()).toContain('Building...');
    expect(builds()).toBe(6);
  });

  it('the generated client (written by the build itself) does not count as a change', () => {
    serveBuild();
    writeFileSync(join(dir, 'tree/src/generated/client.ts'), 'generated\n');
    expect(serveBuild()).toContain('Build is up to date');
    expect(builds()).toBe(1);
  });
});
