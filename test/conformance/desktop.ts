// A black-box "stock client" view of the server for the conformance suite: every request goes
// through the onion gateway with SogsClient, shaped the way session-desktop sends it (protocol §11:
// Content-Type application/json on every JSON-API request, including GETs and body-less
// PUT/DELETE). Setup that only an admin can do (the first admin) goes through the services, as the
// CLI would; rooms come from the shared fixtures.
import { buildOnionRequest, SogsClient, type SogsResponse } from '../../src/client';
import { onionDecrypt, onionKeyFromSecret, x25519KeyPair, x25519SharedSecret, type EncType } from '../../src/crypto';
import { ModerationService } from '../../src/moderation/moderation.service';
import type { TestContext } from '../support/context';

const JSON_CT = { 'Content-Type': 'application/json' };

/** GET as desktop sends it (with a JSON content type and no body). */
export function dGet(client: SogsClient, path: string): Promise<SogsResponse> {
  return client.request({ method: 'GET', path, headers: JSON_CT });
}

/** Body-less PUT/DELETE as desktop sends them (JSON content type, no body). */
export function dBodyless(client: SogsClient, method: 'PUT' | 'DELETE' | 'POST', path: string): Promise<SogsResponse> {
  return client.request({ method, path, headers: JSON_CT });
}

/** Grants moderator/admin as the admin CLI would (no acting user: the system user). */
export async function cliGrant(ctx: TestContext, client: SogsClient, scope: { rooms: string[] } | { global: true }, opts: { admin?: boolean; visible?: boolean } = {}) {
  const moderation = ctx.server.app.get(ModerationService);
  // The auth step creates the user row; make sure it exists as a stock client would by talking once.
  await dGet(client, '/capabilities');
  await moderation.addModerator(client.sessionId!, scope, opts);
}

export function keysOf(obj: unknown): string[] {
  return Object.keys(obj as object).sort();
}

export function jsonOf<T = Record<string, unknown>>(res: SogsResponse, code: number): T {
  if (res.code !== code) throw new Error(`expected ${code}, got ${res.code}: ${res.text()}`);
  expect(res.headers['content-type']).toBe('application/json');
  return res.json<T>();
}

/** A float unix-seconds timestamp near now (protocol §5). */
export function expectTimestamp(v: unknown): void {
  expect(typeof v).toBe('number');
  expect(Math.abs((v as number) - Date.now() / 1000)).toBeLessThan(3600 * 24 * 30);
}

export function expectText(res: SogsResponse, code: number, text?: string): void {
  if (res.code !== code) throw new Error(`expected ${code}, got ${res.code}: ${res.text()}`);
  if (text !== undefined) expect(res.text()).toBe(text);
}

/**
 * Sends one v4 request and returns the decrypted reply plaintext itself (protocol §4.5 framing), so the
 * bytes the server framed can be checked, not only what the client decoded.
 */
export async function rawV4Reply(
  client: SogsClient,
  req: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string; json?: unknown; headers?: Record<string, string> },
  encType: EncType = 'aes-gcm',
): Promise<{ status: number; plaintext: Buffer }> {
  const ephemeral = x25519KeyPair();
  const serverPubkey = client.serverPubkey;
  const body = req.json === undefined ? undefined : Buffer.from(JSON.stringify(req.json));
  const headers: Record<string, string> = { ...(body ? JSON_CT : {}), ...client.signHeaders(req.method, req.path, body), ...(req.headers ?? {}) };
  const built = buildOnionRequest({ method: req.method, endpoint: req.path, headers, body }, { serverPubkey, onion: 'v4', encType }, { ephemeral });
  const raw = await client.sendRawFrame(built.frame, built.path);
  const key = onionKeyFromSecret(encType, x25519SharedSecret(ephemeral.privateKey, serverPubkey), ephemeral.publicKey, serverPubkey);
  const plaintext = onionDecrypt(encType, key, raw.body);
  if (plaintext === null) throw new Error(`reply not decryptable (outer ${raw.status})`);
  return { status: raw.status, plaintext: Buffer.from(plaintext) };
}
