import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import Fastify from 'fastify';
import { parseAuthHeaders } from '../src/auth/auth-headers';
import { loadOrCreateServerKey } from '../src/config/server-key';
import { installRawBodyParser } from '../src/core/http-setup';
import { onionDecrypt, onionEncrypt, onionSharedKey, parseEncType, parseEphemeralKey, parseOnionFrame, sogsSignedMessage, verifyEd25519Strict } from '../src/crypto';
import { encodeV4Reply } from '../src/api/inner-request';
import { decodeV4Request } from '../src/onion-gateway/onion-codec';

/*
 * The "floor" of the benchmark (issue 7): the work no implementation of this protocol can avoid
 * for one onion poll — HTTP on Fastify, the outer frame, X25519 and the decrypt, the X-SOGS
 * signature check, and encrypting a reply — with the same functions the real server uses, in the
 * same process model (BENCH_WORKERS processes behind node:cluster, as the server runs them). No
 * nonce store, no database, no routing: a 200 with an empty batch array for a valid signature.
 *
 * Env: HOST, PORT, KEY_FILE, BENCH_WORKERS (default 1; `auto` = one per core, as API_WORKERS).
 */

const key = loadOrCreateServerKey(process.env.KEY_FILE ?? './data/key_x25519');
const workers = process.env.BENCH_WORKERS === 'auto' ? availableParallelism() : Number(process.env.BENCH_WORKERS ?? '1');
const EMPTY_BATCH = Buffer.from('[]');
const TEXT = 'text/plain; charset=utf-8';

async function serve(): Promise<void> {
  const app = Fastify({ bodyLimit: 10_485_760 });
  installRawBodyParser(app, 10_485_760);
  app.post('/oxen/v4/lsrpc', async (req, reply) => {
    const body = req.body as Buffer;
    let frame;
    try {
      frame = parseOnionFrame(body);
    } catch (err) {
      return reply
        .code(400)
        .header('content-type', TEXT)
        .send((err as Error).message);
    }
    const encType = parseEncType(frame.meta.enc_type);
    const ephemeral = parseEphemeralKey(frame.meta.ephemeral_key);
    if (!encType || !ephemeral) return reply.code(400).header('content-type', TEXT).send('Invalid onion request');
    const symmetric = onionSharedKey(encType, key.privateKey, key.publicKey, ephemeral);
    const plaintext = onionDecrypt(encType, symmetric, frame.ciphertext);
    if (!plaintext) return reply.code(400).header('content-type', TEXT).send('Invalid onion request: decryption failed');
    const inner = decodeV4Request(plaintext);
    let code = 400;
    if (inner) {
      const creds = parseAuthHeaders(inner.headers, { requireBlindKeys: true, window: 86400, nowSeconds: Date.now() / 1000 });
      const q = inner.target.indexOf('?');
      const message = creds
        ? sogsSignedMessage({
            serverPubkey: key.publicKey,
            nonce: creds.nonce,
            timestamp: creds.timestamp,
            method: inner.method,
            path: q < 0 ? inner.target : inner.target.slice(0, q),
            query: q < 0 ? '' : inner.target.slice(q + 1),
            body: inner.body,
          })
        : null;
      code = creds && message && verifyEd25519Strict(creds.signature, message, creds.key) ? 200 : 401;
    }
    const out = encodeV4Reply({ code, headers: { 'content-type': 'application/json' }, body: EMPTY_BATCH });
    return reply
      .code(200)
      .header('content-type', 'application/octet-stream')
      .send(onionEncrypt(encType, symmetric, out));
  });
  app.get('/healthz', async () => 'ok');
  await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? '3000') });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 500);
  });
} else {
  void serve();
}
