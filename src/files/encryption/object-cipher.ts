import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';

/**
 * At-rest format of every stored object (DESIGN "Files"): a 16-byte header, then the plaintext in
 * fixed-size chunks, each sealed with AES-256-GCM under the object's own random key. The nonce of
 * chunk i is noncePrefix(7) ‖ i (u32 BE) ‖ final flag (1 byte) — the STREAM construction — so
 * chunks cannot be reordered, dropped or the object truncated without failing authentication,
 * and neither side ever holds more than one chunk. The header is the additional data of every
 * chunk, binding the chunk size and prefix.
 *
 *   header = "SCSO" ‖ version 0x01 ‖ noncePrefix(7) ‖ chunkSize (u32 BE)
 */
export const OBJECT_MAGIC = Buffer.from('SCSO', 'latin1');
export const OBJECT_VERSION = 1;
export const HEADER_SIZE = 16;
export const TAG_SIZE = 16;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const PREFIX_SIZE = 7;
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const DATA_KEY_SIZE = 32;

export class ObjectFormatError extends Error {}

/** Bytes an object of `plainSize` bytes occupies in storage. */
export function sealedSize(plainSize: number, chunkSize = DEFAULT_CHUNK_SIZE): number {
  const chunks = Math.max(1, Math.ceil(plainSize / chunkSize));
  return HEADER_SIZE + plainSize + chunks * TAG_SIZE;
}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_SIZE);
}

/** A fresh header (random nonce prefix); sealing the same plaintext with the same header is deterministic. */
export function newHeader(chunkSize = DEFAULT_CHUNK_SIZE): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  OBJECT_MAGIC.copy(header, 0);
  header[4] = OBJECT_VERSION;
  randomBytes(PREFIX_SIZE).copy(header, 5);
  header.writeUInt32BE(chunkSize, 12);
  return header;
}

function chunkNonce(header: Buffer, index: number, final: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  header.copy(nonce, 0, 5, 5 + PREFIX_SIZE);
  nonce.writeUInt32BE(index, 7);
  nonce[11] = final ? 1 : 0;
  return nonce;
}

function sealChunk(key: Buffer, header: Buffer, index: number, final: boolean, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, chunkNonce(header, index, final));
  cipher.setAAD(header);
  const body = cipher.update(plain);
  cipher.final();
  return Buffer.concat([body, cipher.getAuthTag()]);
}

function openChunk(key: Buffer, header: Buffer, index: number, final: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_SIZE) throw new ObjectFormatError('Stored object is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, chunkNonce(header, index, final));
  decipher.setAAD(header);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    decipher.final();
  } catch {
    throw new ObjectFormatError('Stored object failed authentication (corrupt, truncated or wrong key)');
  }
  return plain;
}

/** Seals `plain` lazily: the stream produces one sealed chunk per read, never the whole object. */
export function sealStream(key: Buffer, header: Buffer, plain: Uint8Array): Readable {
  const chunkSize = header.readUInt32BE(12);
  const source = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  function* chunks(): Generator<Buffer> {
    yield header;
    const count = Math.max(1, Math.ceil(source.length / chunkSize));
    for (let i = 0; i < count; i++) {
      yield sealChunk(key, header, i, i === count - 1, source.subarray(i * chunkSize, (i + 1) * chunkSize));
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * Opens a sealed object as it streams in. A chunk is only known to be the last one at the end of
 * the input, so one sealed chunk is held back until more bytes (or the end) arrive.
 */
export class OpenStream extends Transform {
  private header: Buffer | undefined;
  private chunkSize = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(private readonly key: Buffer) {
    super();
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.pending.push(data);
      this.pendingBytes += data.length;
      if (!this.header) {
        if (this.pendingBytes < HEADER_SIZE) return done();
        const all = this.shiftBytes(this.pendingBytes);
        this.header = Buffer.from(all.subarray(0, HEADER_SIZE));
        this.checkHeader(this.header);
        this.chunkSize = this.header.readUInt32BE(12);
        const rest = all.subarray(HEADER_SIZE);
        if (rest.length) {
          this.pending.push(rest);
          this.pendingBytes = rest.length;
        }
      }
      const sealedChunk = this.chunkSize + TAG_SIZE;
      // Strictly more than one sealed chunk buffered: the first one cannot be the final chunk.
      while (this.pendingBytes > sealedChunk) {
        this.push(openChunk(this.key, this.header, this.index++, false, this.shiftBytes(sealedChunk)));
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.header) throw new ObjectFormatError('Stored object is truncated');
      this.push(openChunk(this.key, this.header, this.index, true, this.shiftBytes(this.pendingBytes)));
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private checkHeader(header: Buffer): void {
    if (!header.subarray(0, 4).equals(OBJECT_MAGIC) || header[4] !== OBJECT_VERSION) {
      throw new ObjectFormatError('Stored object has an unknown format');
    }
    const size = header.readUInt32BE(12);
    if (size < 1 || size > MAX_CHUNK_SIZE) throw new ObjectFormatError('Stored object has an invalid chunk size');
  }

  /** Removes and returns the first `n` buffered bytes. */
  private shiftBytes(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return head;
  }
}

/** The plaintext of a sealed stream; a failure of the source fails the result too. */
export function openStream(key: Buffer, sealed: Readable): Readable {
  const opener = new OpenStream(key);
  sealed.once('error', (err) => opener.destroy(err));
  return sealed.pipe(opener);
}

/** Reads a whole sealed object into memory (small objects and tests only). */
export async function openAll(key: Buffer, sealed: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of openStream(key, sealed)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}
