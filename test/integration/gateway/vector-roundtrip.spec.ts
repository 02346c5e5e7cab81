import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onionDecrypt, type EncType } from '../../../src/crypto';
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';
import { section } from '../../unit/crypto/vectors';
import { postFrame } from './frames';

// The derived_onion_v4_roundtrip vector frames, byte for byte, accepted by the real server holding
// the vector's key, with the clock frozen at the vector's timestamp (protocol §3–§4).
interface CipherCase {
  request_frame: string;
  response_plaintext_utf8: string;
}
interface RoundTrip {
  server_x25519_privkey: string;
  server_x25519_pubkey: string;
  xchacha20_key: string;
  aes_gcm_key: string;
  inner_headers: Record<string, string>;
  xchacha20: CipherCase;
  aes_gcm: CipherCase;
}
const v = section<RoundTrip>('derived_onion_v4_roundtrip');
const hex = (s: string) => Buffer.from(s, 'hex');
const SIGNED_AT = Number(v.inner_headers['X-SOGS-Timestamp']) * 1000;

let ctx: TestContext;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scs-vector-key-'));
  writeFileSync(join(dir, 'key_x25519'), hex(v.server_x25519_privkey), { mode: 0o600 });
  ctx = await createTestContext({ config: { KEY_FILE: join(dir, 'key_x25519') } });
  await createRoom(ctx, 'test-room');
});
afterAll(async () => {
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.useRealTimers());

/** Freezes only Date (what the timestamp check reads); timers keep running for the server. */
function freezeClock(ms: number): void {
  jest.useFakeTimers({
    now: ms,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
}

async function send(c: CipherCase, encType: EncType, key: string) {
  const outer = await postFrame(ctx.url, hex(c.request_frame));
  expect(outer.status).toBe(200);
  const plain = onionDecrypt(encType, hex(key), outer.body);
  expect(plain).not.toBeNull();
  return Buffer.from(plain!).toString('utf8');
}

it('holds the vector server key', () => {
  expect(ctx.serverPubkeyHex).toBe(v.server_x25519_pubkey);
});

it('answers the xchacha20 frame with the vector reply, and the aes-gcm frame (same signed request: a retry) with the same', async () => {
  freezeClock(SIGNED_AT + 30_000);
  expect(await send(v.xchacha20, 'xchacha20', v.xchacha20_key)).toBe(v.xchacha20.response_plaintext_utf8);
  expect(await send(v.aes_gcm, 'aes-gcm', v.aes_gcm_key)).toBe(v.aes_gcm.response_plaintext_utf8);
});

it('refuses the same frame with the clock a day and a minute later (425 inside the reply)', async () => {
  freezeClock(SIGNED_AT + (86400 + 60) * 1000);
  const reply = await send(v.aes_gcm, 'aes-gcm', v.aes_gcm_key);
  expect(reply).toContain('"code":425');
  expect(reply).toContain('X-SOGS-Timestamp is too far from current time');
});
