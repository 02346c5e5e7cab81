import { baseUrl, type AppConfig } from '../config/config';
import { ROOM_TOKEN } from '../protocol/constants';

/** The URL Session clients join a room with (protocol §6.10): `<base_url>/<token>?public_key=<hex>`. */
export function joinUrl(config: AppConfig, token: string, serverPubkeyHex: string): string {
  return `${baseUrl(config)}/${encodeURIComponent(token)}?public_key=${serverPubkeyHex}`;
}

/**
 * Where a browser that opened a join URL goes: the room's page (protocol §6.10), or null when the
 * request is not that. Only a GET that asks for HTML (browsers send `Accept: text/html`; Session
 * clients never fetch the join URL, they parse it and talk through the onion gateway) of the join
 * URL's exact shape, `/<token>?public_key=…`, so inner routes keep their direct-request refusal.
 */
export function joinUrlRedirect(method: string, url: string, accept: string | undefined): string | null {
  if ((method !== 'GET' && method !== 'HEAD') || !accept?.includes('text/html')) return null;
  const parsed = new URL(url, 'http://x');
  const token = parsed.pathname.slice(1);
  if (!ROOM_TOKEN.test(token) || !parsed.searchParams.has('public_key')) return null;
  return `/r/${encodeURIComponent(token)}`;
}
