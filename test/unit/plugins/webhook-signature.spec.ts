import { signWebhook, verifyWebhookSignature, webhookSignature } from '../../../src/plugins/webhook-signature';

describe('webhook signatures', () => {
  const secret = 'a-secret-of-at-least-16';
  const body = '{"type":"posted"}';

  it('is v1= and the hex HMAC-SHA256 over "timestamp.body" (a known value)', () => {
    // echo -n '1700000000.{"type":"posted"}' | openssl dgst -sha256 -hmac a-secret-of-at-least-16
    expect(webhookSignature(secret, 1_700_000_000, body)).toBe('v1=3c545eb0c6cc31492ac5dd3fb2a4fb377f0e06407b07c46bd42a30d4e01f2cce');
  });

  it('verifies what it signed, within the window', () => {
    const h = signWebhook(secret, 1000, body);
    expect(verifyWebhookSignature(secret, { timestamp: h['x-scs-timestamp'], signature: h['x-scs-signature'] }, body, 1100, 300)).toEqual({ ok: true });
  });

  it('refuses a changed body, another secret, a stale or missing timestamp', () => {
    const h = signWebhook(secret, 1000, body);
    const headers = { timestamp: h['x-scs-timestamp'], signature: h['x-scs-signature'] };
    expect(verifyWebhookSignature(secret, headers, `${body} `, 1000, 300)).toEqual({ ok: false, reason: 'bad' });
    expect(verifyWebhookSignature('another-secret-16chars', headers, body, 1000, 300)).toEqual({ ok: false, reason: 'bad' });
    expect(verifyWebhookSignature(secret, headers, body, 1301, 300)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature(secret, { signature: headers.signature }, body, 1000, 300)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhookSignature(secret, { ...headers, timestamp: '1e3' }, body, 1000, 300)).toEqual({ ok: false, reason: 'bad' });
  });
});
