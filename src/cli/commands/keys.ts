import type { Command } from 'commander';
import { qrTerminal } from '../../web/qr';
import type { CliContext } from '../context';

/** `keys show`: the server's X25519 public key (protocol §2.1), as text, JSON or a terminal QR code. */
export function registerKeysCommands(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('Server identity (the X25519 key clients encrypt to)');
  keys
    .command('show')
    .description('Print the server public key (64 hex digits) with a QR code of it; --json prints {"x25519_pubkey": "…"}')
    .option('--json', 'print {"x25519_pubkey": "<64 hex>"} only')
    .option('--no-qr', 'omit the QR code')
    .action(async (opts: { json?: boolean; qr: boolean }) => {
      const key = ctx.serverKey();
      if (opts.json) {
        ctx.io.stdout(`${JSON.stringify({ x25519_pubkey: key.publicKeyHex })}\n`);
        return;
      }
      ctx.out(`Server public key: ${key.publicKeyHex}`);
      if (opts.qr) ctx.out(await qrTerminal(key.publicKeyHex));
    });
}
