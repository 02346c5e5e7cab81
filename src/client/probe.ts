import { SogsClient } from './sogs-client';
import type { OnionVersion } from './onion-request';
import type { EncType } from '../crypto';

export interface ProbeResult {
  baseUrl: string;
  serverPubkey: string;
  code: number;
  capabilities: string[] | null;
  /** round-trip time of the onion request, milliseconds */
  ms: number;
}

/**
 * Splits a join URL `http://host[/prefix]/<token>?public_key=<hex>` (protocol §2.1) into its server base
 * and key; a plain base URL is returned as is with the key given separately.
 */
export function parseServerUrl(url: string, serverPubkeyHex?: string): { baseUrl: string; serverPubkey: string } {
  const parsed = new URL(url);
  const fromUrl = parsed.searchParams.get('public_key');
  const serverPubkey = (serverPubkeyHex ?? fromUrl ?? '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(serverPubkey)) {
    throw new Error('server public key missing or not 64 hex digits (give it, or use a join URL with ?public_key=)');
  }
  let path = parsed.pathname.replace(/\/+$/, '');
  // a join URL names a room after the base: drop the token
  if (fromUrl !== null) path = path.replace(/\/[^/]*$/, '');
  return { baseUrl: `${parsed.protocol}//${parsed.host}${path}`, serverPubkey };
}

/** Sends an onion-wrapped, signed GET /capabilities from a fresh identity (issue 9 `probe`). */
export async function probe(url: string, serverPubkeyHex?: string, opts: { onion?: OnionVersion; encType?: EncType; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const { baseUrl, serverPubkey } = parseServerUrl(url, serverPubkeyHex);
  const client = SogsClient.withRandomSeed({ baseUrl, serverPubkey, ...opts });
  const started = performance.now();
  const res = await client.get('/capabilities');
  const ms = performance.now() - started;
  let capabilities: string[] | null = null;
  if (res.code === 200) {
    const body = res.json<{ capabilities?: unknown }>();
    if (Array.isArray(body.capabilities)) capabilities = body.capabilities.map(String);
  }
  return { baseUrl, serverPubkey, code: res.code, capabilities, ms };
}
