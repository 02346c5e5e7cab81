// Webhook signatures (docs/plugins.md "Signatures"). Pure: both directions use the same scheme, so a
// bot verifies the server's requests with verifyWebhookSignature and signs its answers with signWebhook.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-scs-timestamp';
export const SIGNATURE_HEADER = 'x-scs-signature';
export const PLUGIN_HEADER = 'x-scs-plugin';

/** `v1=` + hex HMAC-SHA256(secret, "<timestamp>.<body>"). */
export function webhookSignature(secret: string, timestamp: number, body: string | Uint8Array): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `v1=${mac.digest('hex')}`;
}

/** The two headers that sign `body` at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string | Uint8Array): Record<string, string> {
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: webhookSignature(secret, timestamp, body) };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'bad' };

/**
 * Checks a body's signature headers: a timestamp within `windowSeconds` of `now` (a replayed old
 * request is refused) and the HMAC, compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp?: string | null; signature?: string | null },
  body: string | Uint8Array,
  now: number,
  windowSeconds: number,
): SignatureCheck {
  if (!headers.timestamp || !headers.signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, reason: 'bad' };
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now - timestamp) > windowSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad' };
  return { ok: true };
}
