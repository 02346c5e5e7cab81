#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './program';

// `community-server …` (package.json bin) and `npm run cli -- …`.
runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
    // Every command closes what it opened; should something still hold the event loop, say so and exit.
    setTimeout(() => {
      process.stderr.write('Warning: open handles kept the CLI from exiting; exiting now\n');
      process.exit(code);
    }, 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
