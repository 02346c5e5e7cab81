import type { Command } from 'commander';
import { probe } from '../../client/probe';
import type { CliContext } from '../context';
import { CliError } from '../io';

/** `probe URL`: an onion-wrapped, signed GET /capabilities to a running server (issue 9). */
export function registerProbeCommand(program: Command, ctx: CliContext): void {
  program
    .command('probe')
    .description('Send an onion-wrapped, signed /capabilities request to a server and show the answer and round-trip time')
    .argument('<url>', 'a join URL (…/<token>?public_key=<hex>) or the server base URL with --pubkey')
    .option('-k, --pubkey <hex>', 'the server public key, when the URL carries none')
    .option('--v3', 'use the deprecated v3 onion format instead of v4')
    .option('--xchacha20', 'encrypt with XChaCha20-Poly1305 instead of AES-GCM')
    .option('--json', 'print the result as JSON')
    .action(async (url: string, opts: { pubkey?: string; v3?: boolean; xchacha20?: boolean; json?: boolean }) => {
      let result;
      try {
        result = await probe(url, opts.pubkey, { onion: opts.v3 ? 'v3' : 'v4', encType: opts.xchacha20 ? 'xchacha20' : 'aes-gcm' });
      } catch (err) {
        throw new CliError(`Probe of ${url} failed: ${networkReason(err)}`);
      }
      if (opts.json) ctx.json(result);
      else {
        ctx.out(`${result.baseUrl} (key ${result.serverPubkey})`);
        ctx.out(`HTTP ${result.code} in ${result.ms.toFixed(1)} ms over onion ${opts.v3 ? 'v3' : 'v4'}`);
        if (result.capabilities) ctx.out(`capabilities: ${result.capabilities.join(', ')}`);
      }
      if (result.code !== 200) throw new CliError(`The server answered ${result.code}`);
    });
}

/** fetch() says only "fetch failed"; the reason (ECONNREFUSED 127.0.0.1:3000, …) is its cause. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; address?: string; port?: number; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.address ? ` ${cause.address}${cause.port ? `:${cause.port}` : ''}` : ''}`;
  return cause?.message ?? (err as Error).message;
}
