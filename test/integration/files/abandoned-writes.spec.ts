import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileExpiryService } from '../../../src/files/file-expiry.service';
import { createTestContext, type TestContext } from '../../support/context';

// Issue 19 item 10: a kill -9 during an upload leaves the fs driver's temporary file behind. The
// next start removes such files once they are older than any upload takes, and so does the
// periodic sweep (once per grace period); files being written now and stored objects stay.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

const HOUR = 3600;

/** A temporary file as FsObjectStorage.put names it, last written `ageSeconds` ago. */
function partialWrite(dir: string, name: string, ageSeconds: number): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(1000));
  const at = (Date.now() - ageSeconds * 1000) / 1000;
  utimesSync(path, at, at);
  return name;
}

it('partial writes older than the grace are removed at start-up and by the sweep; recent ones and objects stay', async () => {
  const dir = join(ctx.config.STORAGE_DIR, 'ab');
  const stale = partialWrite(dir, 'ab00112233445566778899aabbccddeeff.0123456789ab.tmp', 2 * HOUR);
  const recent = partialWrite(dir, 'ab00112233445566778899aabbccddeef0.0123456789ac.tmp', 60);
  const object = partialWrite(dir, 'ab00112233445566778899aabbccddeef1', 3 * HOUR);

  // A start after the crash (a replica on the same storage directory) sweeps them.
  await ctx.startReplica();
  expect(readdirSync(dir)).not.toContain(stale);
  expect(readdirSync(dir).sort()).toEqual([object, recent].sort());

  // Another crash later: the periodic sweep removes it once the grace has passed since the last walk.
  const later = partialWrite(dir, 'ab00112233445566778899aabbccddeef2.0123456789ad.tmp', 2 * HOUR);
  ctx.clock.advance((HOUR + 1) * 1000);
  const result = await ctx.server.app.get(FileExpiryService).sweep();
  expect(result.abandonedWrites).toBe(1);
  expect(readdirSync(dir)).not.toContain(later);
  expect(readdirSync(dir)).toContain(object);
});
