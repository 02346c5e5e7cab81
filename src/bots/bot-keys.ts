import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { blind15IdFromSeed } from '../crypto';

/*
 * A bot's identity on disk, kept like the server key (KEY_FILE): BOTS_DIR/NAME.key holds its raw
 * 32-byte Ed25519 seed, mode 0600; BOTS_DIR/NAME.json its display name.
 */

export const BOT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export interface BotKey {
  name: string;
  displayName: string;
  /** 32-byte Ed25519 seed: the bot's Session identity */
  seed: Uint8Array;
}

const meta = z.object({ display_name: z.string().min(1).max(100) });

export class BotKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BotKeyError';
  }
}

function checkName(name: string): void {
  if (!BOT_NAME.test(name)) throw new BotKeyError(`bot name "${name}" must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit`);
}

/** Creates a bot's key and display name; refuses a name already taken (its key is its identity). */
export function createBotKey(dir: string, name: string, displayName: string): BotKey {
  checkName(name);
  const parsed = meta.safeParse({ display_name: displayName.trim() });
  if (!parsed.success) throw new BotKeyError('display name must be 1-100 characters');
  const keyPath = join(dir, `${name}.key`);
  if (existsSync(keyPath)) throw new BotKeyError(`bot "${name}" already exists`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const seed = new Uint8Array(randomBytes(32));
  writeFileSync(keyPath, seed, { mode: 0o600, flag: 'wx' });
  chmodSync(keyPath, 0o600);
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(parsed.data)}\n`, { mode: 0o600 });
  return { name, displayName: parsed.data.display_name, seed };
}

/** A bot's key, or null when there is no such bot. */
export function readBotKey(dir: string, name: string): BotKey | null {
  if (!BOT_NAME.test(name)) return null;
  const keyPath = join(dir, `${name}.key`);
  if (!existsSync(keyPath)) return null;
  const raw = readFileSync(keyPath);
  if (raw.length !== 32) throw new BotKeyError(`${keyPath} must hold exactly 32 raw bytes (found ${raw.length})`);
  let displayName = name;
  const metaPath = join(dir, `${name}.json`);
  if (existsSync(metaPath)) {
    const parsed = meta.safeParse(JSON.parse(readFileSync(metaPath, 'utf8')));
    if (!parsed.success) throw new BotKeyError(`${metaPath} is not {"display_name": "…"}`);
    displayName = parsed.data.display_name;
  }
  return { name, displayName, seed: new Uint8Array(raw) };
}

/** Names of the bots in `dir`, sorted. */
export function listBotNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.key'))
    .map((f) => f.slice(0, -'.key'.length))
    .filter((n) => BOT_NAME.test(n))
    .sort();
}

export interface BotIdentity {
  name: string;
  displayName: string;
  /** The bot's blinded (15) id on the server of `serverPk`: what moderators grant rights to. */
  sessionId: string;
}

export function botIdentity(key: BotKey, serverPk: Uint8Array): BotIdentity {
  return { name: key.name, displayName: key.displayName, sessionId: blind15IdFromSeed(key.seed, serverPk) };
}
