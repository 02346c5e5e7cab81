import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../src/config/config';
import { UploadLimits } from '../../../src/files/upload-limits';
import { RedisService } from '../../../src/redis/redis.service';

describe('upload limits (issue 4 item 6)', () => {
  const config = loadConfig({}, {
    DATABASE_URL: 'postgresql://unused',
    REDIS_PREFIX: `scs-test:limits:${randomBytes(4).toString('hex')}:`,
    UPLOAD_CONCURRENCY: 2,
    UPLOAD_QUOTA_BYTES: 1000,
    UPLOAD_QUOTA_WINDOW: 60,
  });
  const redis = new RedisService(config);
  const limits = new UploadLimits(config, redis);
  beforeAll(async () => {
    if (redis.client.status !== 'ready') await new Promise((r) => redis.client.once('ready', r));
  });
  afterAll(async () => {
    const keys = await redis.client.keys(`${config.REDIS_PREFIX}*`);
    if (keys.length) await redis.client.del(...keys);
    await redis.onModuleDestroy();
  });

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

  it('charges the per-user quota, refuses with 429 without charging, and refunds', async () => {
    await limits.chargeQuota(7, 600);
    await expect(limits.chargeQuota(7, 500)).rejects.toMatchObject({ status: 429 });
    await limits.chargeQuota(7, 400);
    await expect(limits.chargeQuota(7, 1)).rejects.toMatchObject({ status: 429 });
    await limits.refundQuota(7, 400);
    await limits.chargeQuota(7, 400);
    await limits.chargeQuota(8, 1000);
  });
});
