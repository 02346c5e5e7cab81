// Nest 12, @noble/* and some of their dependencies are ESM-only; jest's module system cannot
// require() ESM (Node can, since 20.19), so @swc/jest transforms every "type": "module" package
// found in node_modules to CommonJS along with our TypeScript.
const fs = require('node:fs');
const path = require('node:path');

function esmPackages(dir) {
  const found = [];
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      for (const sub of esmPackages(path.join(dir, name))) found.push(`${name}/${sub}`);
      continue;
    }
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf8'));
      if (pkg.type === 'module') found.push(name);
    } catch {
      // not a package folder
    }
  }
  return found;
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const esm = esmPackages(path.join(__dirname, 'node_modules')).map(escape);
/** Options every tier shares. */
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esm.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};
/*
 * Two tiers. `unit` is pure (no database, Redis, S3 or server), so it needs no global setup and
 * reports in seconds; scripts/test.sh runs it first. `integration` is everything else and gets the
 * harness: the template database and s3rver (test/support/README.md). `npx jest <path>` picks the
 * tier by path; `--selectProjects unit` runs one tier.
 */
/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...base, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.spec.ts'] },
    {
      ...base,
      displayName: 'integration',
      roots: ['<rootDir>/src', '<rootDir>/test'],
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  maxWorkers: 2,
  testTimeout: 30000,
};
