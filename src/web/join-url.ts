import { baseUrl, type AppConfig } from '../config/config';

/** The URL Session clients join a room with (protocol §6.10): `<base_url>/<token>?public_key=<hex>`. */
export function joinUrl(config: AppConfig, token: string, serverPubkeyHex: string): string {
  return `${baseUrl(config)}/${encodeURIComponent(token)}?public_key=${serverPubkeyHex}`;
}
