import * as fs from 'node:fs';
import * as path from 'node:path';

/** The vectors ship with the repository as fixtures (test/fixtures/vectors, data kept as received). */
const VECTORS_FILE = path.resolve(__dirname, '..', '..', 'fixtures', 'vectors', 'sogs-vectors.json');

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

let cached: JsonObject | undefined;

export function loadVectors(): JsonObject {
  cached ??= JSON.parse(fs.readFileSync(VECTORS_FILE, 'utf8')) as JsonObject;
  return cached;
}

/** A vector section, typed by the test that reads it. */
export function section<T>(name: string): T {
  const value = loadVectors()[name];
  if (value === undefined) throw new Error(`vector section ${name} missing`);
  return value as unknown as T;
}

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
export const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
