import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { satisfies, subset, validRange } from 'semver';

// Issue 21 item 5: package.json's `engines` is true for every production dependency: each Node.js
// version it admits is one that every package installed with `npm ci --omit=dev` declares it runs
// on (the lock file records their `engines`). The README ("Node.js versions") says why the range is
// what it is and how dependency versions keep it true.

const ROOT = join(__dirname, '..', '..', '..');
interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  engines?: { node?: string } | string[];
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const ours = pkg.engines.node;

/** Production packages (what `npm ci --omit=dev` installs) whose declared Node.js range does not cover ours. */
function uncovered(engines: string, packages: Record<string, LockEntry>): string[] {
  return Object.entries(packages)
    .filter(([path, entry]) => path !== '' && !entry.dev && !entry.devOptional)
    .flatMap(([path, entry]) => {
      const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      return node !== undefined && !subset(engines, node) ? [`${path.replace(/^.*node_modules\//, '')}@${entry.version} wants ${node}`] : [];
    });
}

describe('Node.js versions (engines)', () => {
  it('engines.node is a valid range', () => {
    expect(validRange(ours)).not.toBeNull();
  });

  it('every production dependency declares support for every version engines admits', () => {
    expect(uncovered(ours, lock.packages)).toEqual([]);
  });

  it('the check finds a production dependency that wants a newer Node.js, and ignores dev-only ones', () => {
    const packages = {
      ...lock.packages,
      'node_modules/needs-22': { version: '1.0.0', engines: { node: '>=22' } },
      'node_modules/dev-tool': { version: '1.0.0', dev: true, engines: { node: '>=22' } },
    };
    expect(uncovered(ours, packages)).toEqual(['needs-22@1.0.0 wants >=22']);
    expect(uncovered('>=20', lock.packages).length).toBeGreaterThan(0); // 21.x and 27+ are not covered
  });

  it('the image (Dockerfile) and the Node.js running these tests are versions engines admits', () => {
    const image = /^ARG NODE_IMAGE=node:(\d+)-slim$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(image).not.toBeNull();
    expect(satisfies(`${image![1]}.0.0`, ours)).toBe(true);
    expect(satisfies(process.version, ours)).toBe(true);
  });
});
