import { HttpException } from '@nestjs/common';
import { parseAuthHeaders, type AuthHeaderPolicy } from '../../../src/auth/auth-headers';
import { hexToBytes, sessionIdFromEd25519Pub, sogsSignedMessage, verifyEd25519Strict } from '../../../src/crypto';
import { section } from '../crypto/vectors';

// protocol §3.1–§3.2 steps 1–9, with the sogs_auth_headers and small_subgroup_pubkeys vectors.
interface AuthVector {
  ed25519_pubkey: string;
  session_id: string;
  server_pubkey_x25519: string;
  nonce: string;
  nonce_b64: string;
  timestamp: string;
  path_utf8: string;
  expected_headers: Record<'blinded' | 'unblinded', Record<string, string>>;
}
const v = section<AuthVector>('sogs_auth_headers');
const small = section<Record<string, string>>('small_subgroup_pubkeys');
const DAY = 86400;
const TS = Number(v.timestamp);

const blinded = (): Record<string, string> => ({
  'x-sogs-pubkey': v.expected_headers.blinded['X-SOGS-Pubkey'],
  'x-sogs-nonce': v.expected_headers.blinded['X-SOGS-Nonce'],
  'x-sogs-timestamp': v.timestamp,
  'x-sogs-signature': v.expected_headers.blinded.signature_no_body_b64,
});
const policy = (over: Partial<AuthHeaderPolicy> = {}): AuthHeaderPolicy => ({ requireBlindKeys: true, window: DAY, nowSeconds: TS, ...over });

/** Status and plain-text message, as the exception filter renders them. */
function failure(headers: Record<string, string>, p = policy()): { status: number; message: string } {
  try {
    parseAuthHeaders(headers, p);
  } catch (err) {
    if (!(err instanceof HttpException)) throw err;
    const response = err.getResponse();
    return { status: err.getStatus(), message: typeof response === 'string' ? response : (response as { message: string }).message };
  }
  throw new Error('expected a failure');
}

describe('X-SOGS-* header checks (protocol §3.2)', () => {
  it('treats no headers, or all four empty, as anonymous', () => {
    expect(parseAuthHeaders({}, policy())).toBeNull();
    expect(parseAuthHeaders({ 'x-sogs-pubkey': '', 'x-sogs-nonce': '', 'x-sogs-timestamp': '', 'x-sogs-signature': '' }, policy())).toBeNull();
  });

  it('decodes the reference example and its signature verifies over the signed message', () => {
    const creds = parseAuthHeaders(blinded(), policy())!;
    expect(creds.sessionId).toBe(v.expected_headers.blinded['X-SOGS-Pubkey']);
    const [path, query] = v.path_utf8.split('?');
    const msg = sogsSignedMessage({ serverPubkey: hexToBytes(v.server_pubkey_x25519), nonce: creds.nonce, timestamp: creds.timestamp, method: 'GET', path, query });
    expect(verifyEd25519Strict(creds.signature, msg, creds.key)).toBe(true);
  });

  it.each([1, 2, 3])('counts %i missing or empty header(s)', (n) => {
    const h = blinded();
    const names = Object.keys(h);
    for (let i = 0; i < n; i++) {
      if (i % 2) delete h[names[i]];
      else h[names[i]] = '';
    }
    expect(failure(h)).toEqual({ status: 400, message: `Invalid authentication headers: missing ${n}/4 required X-SOGS-* headers` });
  });

  it('refuses an undecodable pubkey, a wrong prefix and a non-point', () => {
    expect(failure({ ...blinded(), 'x-sogs-pubkey': 'zz' + blinded()['x-sogs-pubkey'].slice(2) })).toEqual({
      status: 400,
      message: 'Invalid authentication: X-SOGS-Pubkey is not a valid 66-hex digit id',
    });
    expect(failure({ ...blinded(), 'x-sogs-pubkey': '05' + blinded()['x-sogs-pubkey'].slice(2) })).toEqual({
      status: 400,
      message: 'Invalid authentication: X-SOGS-Pubkey must be 00- or 15- prefixed',
    });
    for (const pk of [small.invalid_blinded_header, small.invalid_unblinded_header]) {
      expect(failure({ ...blinded(), 'x-sogs-pubkey': pk }, policy({ requireBlindKeys: false }))).toEqual({
        status: 400,
        message: 'Invalid authentication: given X-SOGS-Pubkey is not a valid Ed25519 pubkey',
      });
    }
  });

  it('accepts a 44-character base64 pubkey', () => {
    const b64 = Buffer.from(blinded()['x-sogs-pubkey'], 'hex').toString('base64');
    expect(parseAuthHeaders({ ...blinded(), 'x-sogs-pubkey': b64 }, policy())!.sessionId).toBe(blinded()['x-sogs-pubkey']);
  });

  it('refuses 00 keys when blinding is required and maps them to 05 ids otherwise', () => {
    const h = { ...blinded(), 'x-sogs-pubkey': v.expected_headers.unblinded['X-SOGS-Pubkey'] };
    expect(failure(h)).toEqual({ status: 400, message: 'Invalid authentication: this server requires the use of blinded ids' });
    const creds = parseAuthHeaders(h, policy({ requireBlindKeys: false }))!;
    expect(creds.sessionId).toBe(v.session_id);
    expect(creds.sessionId).toBe(sessionIdFromEd25519Pub(hexToBytes(v.ed25519_pubkey)));
  });

  it.each([
    ['hex', v.nonce, true],
    ['unpadded base64', v.nonce_b64.replace(/=+$/, ''), true],
    ['padded base64', v.nonce_b64, true],
    ['23 characters', v.nonce_b64.slice(0, 23), false],
    ['an extra =', v.nonce_b64 + '=', false],
    ['truncated', v.nonce_b64.slice(0, 20), false],
    ['odd hex', v.nonce.slice(1), false],
    ['long hex', v.nonce + '00', false],
  ])('nonce as %s', (_what, nonce, ok) => {
    const h = { ...blinded(), 'x-sogs-nonce': nonce };
    if (ok) expect(Buffer.from(parseAuthHeaders(h, policy())!.nonce).toString('hex')).toBe(v.nonce);
    else expect(failure(h)).toEqual({ status: 400, message: 'Invalid authentication: X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)' });
  });

  it('refuses a signature that does not decode to 64 bytes', () => {
    const sig = v.expected_headers.blinded.signature_no_body_b64;
    for (const bad of [sig.slice(0, 87), sig.slice(0, 80), 'ab'.repeat(63)]) {
      expect(failure({ ...blinded(), 'x-sogs-signature': bad })).toEqual({ status: 400, message: 'Invalid authentication: X-SOGS-Signature is not base64[88]' });
    }
    expect(parseAuthHeaders({ ...blinded(), 'x-sogs-signature': sig.replace(/=+$/, '') }, policy())).not.toBeNull();
  });

  it.each(['abc', '12.5', ' ', '1e9', '0x10'])('refuses the timestamp %j', (ts) => {
    expect(failure({ ...blinded(), 'x-sogs-timestamp': ts })).toEqual({ status: 400, message: 'Invalid authentication: X-SOGS-Timestamp is not a valid timestamp' });
  });

  it('accepts timestamps up to exactly the window either side and refuses one second more with 425', () => {
    for (const now of [TS - DAY, TS + DAY, TS - DAY + 1, TS + DAY - 1]) expect(parseAuthHeaders(blinded(), policy({ nowSeconds: now }))).not.toBeNull();
    for (const now of [TS - DAY - 1, TS + DAY + 1, TS + 2 * DAY]) {
      expect(failure(blinded(), policy({ nowSeconds: now }))).toEqual({
        status: 425,
        message: 'Invalid authentication: X-SOGS-Timestamp is too far from current time',
      });
    }
  });

  it('checks in the order of protocol §3.2: the first failing step wins', () => {
    // bad nonce, bad signature and bad timestamp at once → the nonce message (step 6)
    const h = { ...blinded(), 'x-sogs-nonce': 'x', 'x-sogs-signature': 'y', 'x-sogs-timestamp': 'z' };
    expect(failure(h).message).toContain('X-SOGS-Nonce');
    expect(failure({ ...h, 'x-sogs-nonce': v.nonce }).message).toContain('X-SOGS-Signature');
  });
});
