import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook } from '../src/plugins/webhook-signature';

/*
 * The webhook of the `post_webhook` scenario (issue 16): a loopback HTTP server in the bench's own
 * process (its CPU is not the server's) that answers every event `allow`, signed as the protocol
 * requires (docs/plugins.md), and checks nothing else: what is measured is what the hook costs the
 * server, not what a plugin decides.
 */

export interface AllowWebhook {
  url: string;
  /** Events answered so far. */
  calls(): number;
  close(): Promise<void>;
}

const ANSWER = JSON.stringify({ decision: 'allow' });

export async function startAllowWebhook(secret: string): Promise<AllowWebhook> {
  let calls = 0;
  const server = createServer((req, res) => {
    // The body is read (the server waits for the answer only after sending it) and dropped.
    req.resume();
    req.on('end', () => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json', ...signWebhook(secret, Math.floor(Date.now() / 1000), ANSWER) });
      res.end(ANSWER);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
