import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { DEFAULT_CHUNK_SIZE, HEADER_SIZE, newDataKey, newHeader, openAll, sealedSize, sealStream, TAG_SIZE } from '../../../src/files/encryption/object-cipher';

async function sealed(key: Buffer, header: Buffer, plain: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of sealStream(key, header, plain)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Feeds `bytes` in pieces of `piece` bytes, as a network stream would. */
function pieces(bytes: Buffer, piece: number): Readable {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += piece) out.push(bytes.subarray(i, i + piece));
  return Readable.from(out);
}

describe('object cipher (chunked AES-256-GCM at rest)', () => {
  const key = newDataKey();

  it.each([0, 1, 100, DEFAULT_CHUNK_SIZE - 1, DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_SIZE + 1, 3 * DEFAULT_CHUNK_SIZE, 1_000_003])(
    'round-trips %i bytes with the announced sealed size',
    async (size) => {
      const plain = randomBytes(size);
      const header = newHeader();
      const out = await sealed(key, header, plain);
      expect(out.length).toBe(sealedSize(size));
      expect((await openAll(key, pieces(out, 4096))).equals(plain)).toBe(true);
    },
  );

  it('round-trips for any size, chunk size and read piece size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 999 }), async (size, chunk, piece) => {
        const plain = randomBytes(size);
        const out = await sealed(key, newHeader(chunk), plain);
        expect(out.length).toBe(sealedSize(size, chunk));
        expect((await openAll(key, pieces(out, piece))).equals(plain)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('is deterministic for one header (the s3 driver hashes, then streams, the same bytes)', async () => {
    const plain = randomBytes(200_000);
    const header = newHeader();
    expect((await sealed(key, header, plain)).equals(await sealed(key, header, plain))).toBe(true);
  });

  it('never contains the plaintext', async () => {
    const plain = Buffer.alloc(200_000, 'a');
    const out = await sealed(key, newHeader(), plain);
    expect(out.includes(Buffer.alloc(32, 'a'))).toBe(false);
  });

  it('rejects truncation at a chunk boundary, dropped or swapped chunks, appended bytes, bit flips and a wrong key', async () => {
    const chunk = 1000;
    const plain = randomBytes(5 * chunk);
    const out = await sealed(key, newHeader(chunk), plain);
    const sealedChunk = chunk + TAG_SIZE;
    const chunkAt = (i: number) => out.subarray(HEADER_SIZE + i * sealedChunk, HEADER_SIZE + (i + 1) * sealedChunk);
    const header = out.subarray(0, HEADER_SIZE);
    const variants: Buffer[] = [
      out.subarray(0, HEADER_SIZE + 4 * sealedChunk),
      Buffer.concat([header, chunkAt(0), chunkAt(2), chunkAt(1), chunkAt(3), chunkAt(4)]),
      Buffer.concat([out, randomBytes(20)]),
      out.subarray(0, 10),
      Buffer.from(out).fill(0x55, 500, 501),
    ];
    for (const bad of variants) await expect(openAll(key, pieces(bad, 333))).rejects.toThrow();
    await expect(openAll(newDataKey(), pieces(out, 333))).rejects.toThrow(/authentication/);
  });
});
