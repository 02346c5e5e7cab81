/*
 * What a stock Session client (session-desktop, libsession-util) does with a community message and a
 * blinded DM, written from their code and independently of the server's encoder: its own protobuf
 * reading, padding removal, signature check and blinded DM crypto, on noble primitives (the server
 * uses OpenSSL and its own modules). For tests of the bots only.
 */
import { randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { sha512 } from '@noble/hashes/sha2.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const le = (b: Uint8Array) => BigInt(`0x${hex(b.slice().reverse()) || '0'}`);

/** desktop verifySignature: a 15/25 sender is checked with crypto_sign_verify_detached under the key itself. */
export function desktopVerifySignature(sender: string, dataBase64: string, signatureBase64: string): boolean {
  if (!sender.startsWith('15') && !sender.startsWith('25')) throw new Error('only blinded senders here');
  return ed25519.verify(Buffer.from(signatureBase64, 'base64'), Buffer.from(dataBase64, 'base64'), fromHex(sender.slice(2)), { zip215: false });
}

/** desktop removeMessagePadding: strip trailing 0x00s up to a 0x80; no 0x80 → the bytes as they are. */
export function desktopUnpad(padded: Uint8Array): Uint8Array {
  for (let i = padded.length - 1; i >= 0; i--) {
    if (padded[i] === 0x80) return padded.slice(0, i);
    if (padded[i] !== 0) return padded;
  }
  throw new Error('Invalid padding');
}

interface Field {
  no: number;
  wire: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

function readFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const readVarint = () => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const f: Field = { no: key >> 3, wire: key & 7 };
    if (f.wire === 0) f.varint = readVarint();
    else if (f.wire === 2) {
      const n = Number(readVarint());
      if (i + n > buf.length) throw new Error('truncated field');
      f.bytes = buf.slice(i, i + n);
      i += n;
    } else throw new Error(`wire type ${f.wire} not expected in these messages`);
    out.push(f);
  }
  return out;
}

export interface DecodedContent {
  body: string | undefined;
  displayName: string | undefined;
  sigTimestamp: number | undefined;
}

/** SignalService.Content (dataMessage = 1, sigTimestamp = 15) → DataMessage (body = 1, profile = 101) → LokiProfile (displayName = 1). */
export function desktopDecodeContent(content: Uint8Array): DecodedContent {
  const top = readFields(content);
  const dm = top.find((f) => f.no === 1 && f.wire === 2)?.bytes;
  const ts = top.find((f) => f.no === 15 && f.wire === 0)?.varint;
  const dmFields = dm ? readFields(dm) : [];
  const body = dmFields.find((f) => f.no === 1 && f.wire === 2)?.bytes;
  const profile = dmFields.find((f) => f.no === 101 && f.wire === 2)?.bytes;
  const name = profile ? readFields(profile).find((f) => f.no === 1 && f.wire === 2)?.bytes : undefined;
  const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);
  return { body: text(body), displayName: text(name), sigTimestamp: ts === undefined ? undefined : Number(ts) };
}

const P = 2n ** 255n - 19n;
function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (let x = b % P; e > 0n; e >>= 1n, x = (x * x) % P) if (e & 1n) r = (r * x) % P;
  return r;
}

/** crypto_sign_ed25519_pk_to_curve25519: u = (1 + y) / (1 − y). */
function toX25519(edPk: Uint8Array): Uint8Array {
  const { y } = ed25519.Point.fromBytes(edPk).toAffine();
  const u = ((1n + y) * modPow((1n - y + P) % P, P - 2n)) % P;
  const out = new Uint8Array(32);
  for (let i = 0, v = u; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** libsodium crypto_sign_ed25519_sk_to_curve25519 scalar (clamped) of a seed. */
function curveScalar(seed: Uint8Array): bigint {
  const h = sha512(seed).slice(0, 32);
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  return le(h);
}

/** getBlindingValues: k = reduce(generichash64(serverPk)), ka = k·a, kA = ka·G. */
export function desktopBlindedKey(seed: Uint8Array, serverPk: Uint8Array): Uint8Array {
  const k = le(blake2b(serverPk, { dkLen: 64 })) % L;
  return ed25519.Point.BASE.multiply((k * curveScalar(seed)) % L).toBytes();
}

function sharedBlindedEncryptionKey(seed: Uint8Array, other: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const combined = ed25519.Point.fromBytes(other)
    .multiply(curveScalar(seed) % L)
    .toBytes();
  return blake2b(new Uint8Array([...combined, ...from, ...to]), { dkLen: 32 });
}

/** desktop decryptWithSessionBlindingProtocol: returns the plaintext and the sender's 05 id. */
export function desktopDecryptBlinded(
  data: Uint8Array,
  isOutgoing: boolean,
  otherBlindedId: string,
  serverPk: Uint8Array,
  seed: Uint8Array,
): { plainText: Uint8Array; senderUnblinded: string } {
  if (data.length <= 24) throw new Error('data is too short');
  const ours = desktopBlindedKey(seed, serverPk);
  const other = fromHex(otherBlindedId.slice(2));
  const kA = isOutgoing ? ours : other;
  const key = sharedBlindedEncryptionKey(seed, other, kA, isOutgoing ? other : ours);
  if (data[0] !== 0) throw new Error('Decryption failed');
  const inner = xchacha20poly1305(key, data.slice(data.length - 24)).decrypt(data.slice(1, data.length - 24));
  if (inner.length <= 32) throw new Error('Decryption failed');
  const senderEdpk = inner.slice(inner.length - 32);
  const k = le(blake2b(serverPk, { dkLen: 64 })) % L;
  if (hex(ed25519.Point.fromBytes(senderEdpk).multiply(k).toBytes()) !== hex(kA)) throw new Error('Invalid Signature');
  return { plainText: inner.slice(0, inner.length - 32), senderUnblinded: `05${hex(toX25519(senderEdpk))}` };
}

/** libsession encrypt_for_blinded_recipient (blind15): 0x00 ‖ XChaCha20-Poly1305(msg ‖ A) ‖ nonce. */
export function libsessionEncryptForBlinded(seed: Uint8Array, serverPk: Uint8Array, recipientBlindedId: string, message: Uint8Array): Uint8Array {
  const kB = fromHex(recipientBlindedId.slice(2));
  const kA = desktopBlindedKey(seed, serverPk);
  const key = sharedBlindedEncryptionKey(seed, kB, kA, kB);
  const nonce = new Uint8Array(randomBytes(24));
  const ct = xchacha20poly1305(key, nonce).encrypt(new Uint8Array([...message, ...ed25519.getPublicKey(seed)]));
  return new Uint8Array([0, ...ct, ...nonce]);
}

/** desktop's old addMessagePadding (libsession's pad_message does the same for communities). */
export function desktopPad(message: Uint8Array): Uint8Array {
  const withTerminator = message.length + 2;
  const padded = new Uint8Array(Math.ceil(withTerminator / 160) * 160 - 1);
  padded.set(message);
  padded[message.length] = 0x80;
  return padded;
}

/** A Content with a DataMessage body and profile, encoded by hand (one byte lengths: short texts only). */
export function desktopTextContent(body: string, displayName: string): Uint8Array {
  const b = Buffer.from(body);
  const n = Buffer.from(displayName);
  const profile = [0x0a, n.length, ...n];
  const dataMessage = [0x0a, b.length, ...b, 0xaa, 0x06, profile.length, ...profile];
  if (dataMessage.length > 127) throw new Error('short texts only');
  return new Uint8Array([0x0a, dataMessage.length, ...dataMessage]);
}
