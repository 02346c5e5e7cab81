import type { AppConfig } from '../../../src/config/config';
import { runCli } from '../../../src/cli/program';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment an admin would export for the server whose config this is. */
export function envFor(config: AppConfig, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) if (value !== undefined && value !== null) env[key] = String(value);
  return { ...env, ...extra };
}

/** Runs one CLI invocation in-process (the binary's own entry function) and captures its output. */
export async function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, env);
  return { code, stdout, stderr };
}

/** Like cli() but fails the test with the CLI's own error output when the exit code is not 0. */
export async function cliOk(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const res = await cli(env, ...args);
  if (res.code !== 0) throw new Error(`community-server ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
  return res.stdout;
}
