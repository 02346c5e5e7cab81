import { Writable } from 'node:stream';
import { createLogger } from '../../../src/logging/logger';
import { startServer, type RunningServer } from '../../../src/server';
import { SogsClient } from '../../../src/client';
import { createTestContext, type TestContext } from '../../support/context';

// Issue 5 / issue 8: structured JSON logs with request ids, never a key, signature, nonce or body.

class Capture extends Writable {
  readonly lines: string[] = [];
  _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

describe('logs', () => {
  test('redaction: headers, bodies, signatures, nonces and keys logged by hand come out as [redacted]', () => {
    const out = new Capture();
    const logger = createLogger({ LOG_LEVEL: 'trace' }, out);
    logger.info({ req: { method: 'POST', url: '/room/x/message?secret=q', headers: { 'x-sogs-signature': 'SIG-SECRET' } } }, 'in');
    logger.info({ headers: { 'x-sogs-nonce': 'NONCE-SECRET' }, body: 'BODY-SECRET', data: 'DATA-SECRET' }, 'manual');
    logger.info({ message: { signature: 'SIG2-SECRET', data: 'DATA2-SECRET' }, privateKey: 'KEY-SECRET', nonce: 'N2-SECRET' }, 'nested');
    for (const secret of ['SIG-SECRET', 'NONCE-SECRET', 'BODY-SECRET', 'DATA-SECRET', 'SIG2-SECRET', 'DATA2-SECRET', 'KEY-SECRET', 'N2-SECRET', 'secret=q']) {
      expect(out.text).not.toContain(secret);
    }
    const lines = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0].req).toEqual({ method: 'POST', path: '/room/x/message' });
    expect(lines[1].body).toBe('[redacted]');
  });

  describe('a running server at trace level', () => {
    let ctx: TestContext;
    let server: RunningServer;
    const out = new Capture();
    beforeAll(async () => {
      ctx = await createTestContext();
      server = await startServer({ ...ctx.config, LOG_LEVEL: 'trace' }, { logger: createLogger({ LOG_LEVEL: 'trace' }, out) });
    });
    afterAll(async () => {
      await server?.close();
      await ctx?.close();
    });

    test('onion requests, signed headers and bodies never reach a log line; every request line has a request id', async () => {
      const seed = new Uint8Array(32).fill(7);
      const client = new SogsClient({ baseUrl: server.url, serverPubkey: server.serverKey.publicKey, seed });
      const nonce = new Uint8Array(16).fill(0xab);
      const timestamp = Math.floor(Date.now() / 1000);
      const secretBody = { secret_field: 'MESSAGE-BODY-SECRET-1234' };
      const bodyBytes = Buffer.from(JSON.stringify(secretBody));
      const signed = client.signHeaders('POST', '/batch', bodyBytes, { nonce, timestamp });
      const res = await client.request({ method: 'POST', path: '/batch', json: secretBody, nonce, timestamp });
      expect(res.code).toBeGreaterThanOrEqual(400); // not a batch: refused with a reason, still logged
      await client.get('/capabilities');
      // A direct request carrying X-SOGS-* headers and a body to an inner route (refused).
      await fetch(`${server.url}/room/lobby/message`, {
        method: 'POST',
        headers: { 'x-sogs-signature': 'DIRECT-SIG-SECRET', 'x-sogs-nonce': 'DIRECT-NONCE-SECRET', 'x-request-id': 'req-abc-123' },
        body: 'DIRECT-BODY-SECRET',
      });
      await new Promise((r) => setTimeout(r, 200));

      const text = out.text;
      expect(text).toContain('request refused');
      for (const secret of [
        signed['X-SOGS-Signature'],
        signed['X-SOGS-Nonce'],
        Buffer.from(nonce).toString('hex'),
        'MESSAGE-BODY-SECRET-1234',
        'DIRECT-SIG-SECRET',
        'DIRECT-NONCE-SECRET',
        'DIRECT-BODY-SECRET',
        Buffer.from(server.serverKey.privateKey).toString('hex'),
        Buffer.from(server.serverKey.privateKey).toString('base64'),
      ]) {
        expect(text).not.toContain(secret);
      }
      const requestLines = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l.route === 'string');
      expect(requestLines.length).toBeGreaterThanOrEqual(3);
      for (const line of requestLines) expect(typeof line.reqId).toBe('string');
      // The caller's X-Request-Id is kept so a request can be followed across services.
      expect(requestLines.some((l) => l.reqId === 'req-abc-123' && l.status === 403)).toBe(true);
      // Inner requests dispatched by the gateway are logged by their route pattern.
      expect(requestLines.some((l) => l.route === '/capabilities')).toBe(true);
    });
  });
});
