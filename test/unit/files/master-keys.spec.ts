import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateMasterKey, MasterKeyError, MasterKeyring } from '../../../src/files/encryption/master-keys';

describe('master keys (encryption at rest)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scs-mk-'));

  it('creates a 32-byte key file with mode 0600 on first start and reads the same key afterwards', () => {
    const path = join(dir, 'nested', 'master_key');
    const key = loadOrCreateMasterKey(path);
    expect(key).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreateMasterKey(path).equals(key)).toBe(true);
    expect(readFileSync(path).equals(key)).toBe(true);
  });

  it('accepts 64 hex characters and rejects anything else', () => {
    const hex = join(dir, 'hex');
    const key = randomBytes(32);
    writeFileSync(hex, `${key.toString('hex')}\n`);
    expect(loadOrCreateMasterKey(hex).equals(key)).toBe(true);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'short');
    expect(() => loadOrCreateMasterKey(bad)).toThrow(MasterKeyError);
  });

  it('wraps with the current key, unwraps with old ones, and refuses unknown key ids or tampering', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const old = new MasterKeyring(a);
    const dataKey = randomBytes(32);
    const wrapped = old.wrap(dataKey);
    expect(wrapped.wrappedKey.includes(dataKey)).toBe(false);
    const rotated = new MasterKeyring(b, [a]);
    expect(rotated.current.id).not.toBe(old.current.id);
    expect(rotated.unwrap(wrapped.keyId, wrapped.wrappedKey).equals(dataKey)).toBe(true);
    expect(rotated.wrap(dataKey).keyId).toBe(rotated.current.id);
    expect(() => new MasterKeyring(b).unwrap(wrapped.keyId, wrapped.wrappedKey)).toThrow(/not configured/);
    const tampered = Buffer.from(wrapped.wrappedKey);
    tampered[20] ^= 1;
    expect(() => rotated.unwrap(wrapped.keyId, tampered)).toThrow(MasterKeyError);
  });

  it('content hashes are keyed, server-wide, and found again from the SHA-256 under every configured key', () => {
    const old = randomBytes(32);
    const ring = new MasterKeyring(randomBytes(32), [old]);
    const digest = createHash('sha256').update(randomBytes(100)).digest();
    expect(ring.contentHash(digest).equals(ring.contentHash(Buffer.from(digest)))).toBe(true);
    expect(ring.contentHash(digest).equals(digest)).toBe(false);
    expect(new MasterKeyring(randomBytes(32)).contentHash(digest).equals(ring.contentHash(digest))).toBe(false);
    const underOld = new MasterKeyring(old).contentHash(digest);
    expect(ring.contentHashesOf(digest).some((h) => h.equals(underOld))).toBe(true);
    expect(ring.contentHashesOf(digest).some((h) => h.equals(ring.contentHash(digest)))).toBe(true);
  });
});
