import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const MASTER_KEY_SIZE = 32;
const WRAP_NONCE_SIZE = 12;
const WRAP_TAG_SIZE = 16;

export class MasterKeyError extends Error {}

export interface MasterKey {
  /** Stored with each object so the right key unwraps it after a rotation. */
  id: string;
  secret: Buffer;
}

/** 16 hex chars naming a master key without revealing it. */
export function masterKeyId(secret: Uint8Array): string {
  return createHash('sha256').update('scs-master-key-id').update(secret).digest('hex').slice(0, 16);
}

/** A key file holds 32 raw bytes or 64 hex characters (secrets mounted as text). */
export function parseMasterKey(raw: Buffer, path: string): Buffer {
  if (raw.length === MASTER_KEY_SIZE) return Buffer.from(raw);
  const text = raw.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  throw new MasterKeyError(`Master key file ${path} must hold 32 raw bytes or 64 hex characters`);
}

/** Reads the current master key, creating it (32 random bytes, mode 0600) on first start. */
export function loadOrCreateMasterKey(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    // 'wx' fails if another process created it meanwhile; then its key is read below.
    try {
      writeFileSync(path, randomBytes(MASTER_KEY_SIZE), { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return parseMasterKey(readFileSync(path), path);
}

/**
 * The master keys of this server: the current one wraps every new object key; older ones (from
 * MASTER_KEY_OLD_FILES) only unwrap, so a rotation needs no re-upload (DESIGN "Files").
 * Wrapping is AES-256-GCM: nonce(12) ‖ ciphertext(32) ‖ tag(16), the key id as additional data.
 */
export class MasterKeyring {
  readonly current: MasterKey;
  private readonly byId = new Map<string, MasterKey>();

  constructor(current: Buffer, old: Buffer[] = []) {
    this.current = { id: masterKeyId(current), secret: current };
    for (const secret of [current, ...old]) {
      const id = masterKeyId(secret);
      if (!this.byId.has(id)) this.byId.set(id, { id, secret });
    }
  }

  static fromFiles(currentPath: string, oldPaths: string): MasterKeyring {
    const old = oldPaths
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        if (!existsSync(p)) throw new MasterKeyError(`Old master key file ${p} (MASTER_KEY_OLD_FILES) does not exist`);
        return parseMasterKey(readFileSync(p), p);
      });
    return new MasterKeyring(loadOrCreateMasterKey(currentPath), old);
  }

  has(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  wrap(dataKey: Buffer): { keyId: string; wrappedKey: Buffer } {
    const nonce = randomBytes(WRAP_NONCE_SIZE);
    const cipher = createCipheriv('aes-256-gcm', this.current.secret, nonce);
    cipher.setAAD(Buffer.from(this.current.id, 'latin1'));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { keyId: this.current.id, wrappedKey: Buffer.concat([nonce, body, cipher.getAuthTag()]) };
  }

  unwrap(keyId: string, wrappedKey: Uint8Array): Buffer {
    const master = this.byId.get(keyId);
    if (!master) throw new MasterKeyError(`Master key ${keyId} is not configured (add its file to MASTER_KEY_OLD_FILES)`);
    const wrapped = Buffer.from(wrappedKey);
    if (wrapped.length <= WRAP_NONCE_SIZE + WRAP_TAG_SIZE) throw new MasterKeyError('Wrapped object key is malformed');
    const decipher = createDecipheriv('aes-256-gcm', master.secret, wrapped.subarray(0, WRAP_NONCE_SIZE));
    decipher.setAAD(Buffer.from(keyId, 'latin1'));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - WRAP_TAG_SIZE));
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(WRAP_NONCE_SIZE, wrapped.length - WRAP_TAG_SIZE)), decipher.final()]);
    } catch {
      throw new MasterKeyError(`Wrapped object key does not open with master key ${keyId}`);
    }
  }

  /**
   * Keyed hash naming a content for deduplication across the whole server (room files and the file
   * server alike), derived from the content's SHA-256 so that a blocklisted SHA-256 finds its stored
   * copies without the content. Keyed so that the database alone cannot confirm a guess of a file's
   * content; it changes with the master key, which only means files stored before a rotation are not
   * deduplicated against later ones (`contentHashesOf` still finds them under every configured key).
   */
  contentHash(sha256: Uint8Array, master: MasterKey = this.current): Buffer {
    const key = createHmac('sha256', master.secret).update('scs-content-hash-v2').digest();
    return createHmac('sha256', key).update(sha256).digest();
  }

  /** The content hash of a SHA-256 under every configured master key (finding every stored copy). */
  contentHashesOf(sha256: Uint8Array): Buffer[] {
    return [...this.byId.values()].map((master) => this.contentHash(sha256, master));
  }
}
