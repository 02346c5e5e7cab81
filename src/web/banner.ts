import { baseUrl, type AppConfig } from '../config/config';
import { joinUrl } from './join-url';

export interface BannerFacts {
  config: AppConfig;
  publicKeyHex: string;
  /** The listeners' actual addresses (http://host:port), '' when this process has none. */
  publicUrl: string;
  adminUrl: string;
  roomTokens: string[];
}

/** The few lines an admin needs after `npm run serve`: where the page is, the key, how to join or add a room. Pure. */
export function startupBanner(f: BannerFacts): string {
  const lines = [
    'Session community server is running.',
    `  Web page:    ${baseUrl(f.config)}/ (listening on ${f.publicUrl || 'no public port'})`,
    `  Admin port:  ${f.adminUrl || 'served by the cluster primary'} (/healthz, /readyz, /metrics)`,
    `  Public key:  ${f.publicKeyHex}`,
  ];
  if (f.roomTokens.length === 0) lines.push('  No rooms yet. Add one with: npm run cli -- rooms add lobby --name "Lobby"');
  else for (const token of f.roomTokens) lines.push(`  Join ${token}: ${joinUrl(f.config, token, f.publicKeyHex)}`);
  if (!f.config.BASE_URL) lines.push(`  Warning: BASE_URL is not set, so join URLs and QR codes point at ${baseUrl(f.config)}; set BASE_URL to the address clients reach.`);
  return `${lines.join('\n')}\n`;
}
