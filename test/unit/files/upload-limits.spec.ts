import { loadConfig } from '../../../src/config/config';
import { UploadLimits } from '../../../src/files/upload-limits';

describe('upload limits (issue 4 item 6)', () => {
  const limits = new UploadLimits(loadConfig({}, { DATABASE_URL: 'postgresql://unused', UPLOAD_CONCURRENCY: 2 }));

  it('refuses an upload beyond UPLOAD_CONCURRENCY with 503 and a reason, and frees slots when uploads end', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = [limits.withUploadSlot(() => gate), limits.withUploadSlot(() => gate)];
    await expect(limits.withUploadSlot(async () => 'third')).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/Too many uploads in progress/) });
    release();
    await Promise.all(running);
    await expect(limits.withUploadSlot(async () => 'again')).resolves.toBe('again');
    // A failed upload frees its slot too.
    await expect(limits.withUploadSlot(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(Promise.all([limits.withUploadSlot(async () => 1), limits.withUploadSlot(async () => 2)])).resolves.toEqual([1, 2]);
  });
});
