// Conformance (black box, onion requests only): protocol §3.1 header encodings clients may use, §5
// base64 rules for JSON binary values, §13 lower-casing of hex ids in URLs.
import { createTestContext, type TestContext } from '../../support/context';
import { createRoom } from '../../support/rooms-fixtures';
import { cliGrant, dGet, expectText, jsonOf } from '../desktop';
import { randomBytes } from 'node:crypto';

export function encodingsSuite(): void {
  describe('protocol §3.1/§5/§13 encodings', () => {
    let ctx: TestContext;
    beforeAll(async () => {
      ctx = await createTestContext();
      await createRoom(ctx, 'enc');
    });
    afterAll(() => ctx?.close());

    describe('protocol §3.1 X-SOGS-* encodings', () => {
      it('hex nonce, unpadded base64 nonce and signature, base64 pubkey are accepted', async () => {
        const alice = ctx.newUser();
        const reencode = async (tweak: (h: Record<string, string>) => Record<string, string>) => {
          const signed = alice.signHeaders('GET', '/room/enc');
          return ctx.anon().request({ method: 'GET', path: '/room/enc', headers: tweak(signed) });
        };
        const b64ToHex = (s: string) => Buffer.from(s, 'base64').toString('hex');
        const res1 = await reencode((h) => ({ ...h, 'X-SOGS-Nonce': b64ToHex(h['X-SOGS-Nonce']) }));
        expect(jsonOf<Record<string, unknown>>(res1, 200).read).toBe(true);
        const res2 = await reencode((h) => ({ ...h, 'X-SOGS-Nonce': h['X-SOGS-Nonce'].replace(/=+$/, ''), 'X-SOGS-Signature': h['X-SOGS-Signature'].replace(/=+$/, '') }));
        expect(res2.code).toBe(200);
        const res3 = await reencode((h) => ({ ...h, 'X-SOGS-Pubkey': Buffer.from(h['X-SOGS-Pubkey'], 'hex').toString('base64') }));
        expect(res3.code).toBe(200);
        const res4 = await reencode((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v])));
        expect(res4.code).toBe(200);
        const res5 = await reencode((h) => ({ ...h, 'X-SOGS-Nonce': h['X-SOGS-Nonce'].slice(0, 23) }));
        expectText(res5, 400, 'Invalid authentication: X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)');
        const res6 = await reencode((h) => ({ ...h, 'X-SOGS-Signature': h['X-SOGS-Signature'].slice(0, 87) }));
        expectText(res6, 400, 'Invalid authentication: X-SOGS-Signature is not base64[88]');
        expectText(await reencode((h) => ({ ...h, 'X-SOGS-Pubkey': 'zz'.repeat(33) })), 400, 'Invalid authentication: X-SOGS-Pubkey is not a valid 66-hex digit id');
        const identity = '15' + '01' + '00'.repeat(31); // the small-order identity point
        expectText(await reencode((h) => ({ ...h, 'X-SOGS-Pubkey': identity })), 400, 'Invalid authentication: given X-SOGS-Pubkey is not a valid Ed25519 pubkey');
        const res7 = await reencode((h) => ({ ...h, 'X-SOGS-Pubkey': '25' + h['X-SOGS-Pubkey'].slice(2) }));
        expectText(res7, 400, 'Invalid authentication: X-SOGS-Pubkey must be 00- or 15- prefixed');
      });
    });

    describe('protocol §5 base64 in JSON bodies', () => {
      it('unpadded base64 accepted (returned as the same bytes), url-safe alphabet refused', async () => {
        const alice = ctx.newUser();
        const raw = Buffer.from('abcd\x80\0');
        const sig = randomBytes(64);
        const res = await alice.post('/room/enc/message', { data: raw.toString('base64').replace(/=+$/, ''), signature: sig.toString('base64').replace(/=+$/, '') });
        const msg = jsonOf<{ data: string; signature: string }>(res, 201);
        expect(Buffer.from(msg.data, 'base64').equals(raw)).toBe(true);
        expect(Buffer.from(msg.signature, 'base64').equals(sig)).toBe(true);
        const urlSafe = Buffer.from([0xfb, 0xff, 0xfe, 0x01]).toString('base64url');
        expect((await alice.post('/room/enc/message', { data: urlSafe, signature: sig.toString('base64') })).code).toBe(400);
      });
    });

    describe('protocol §13 hex ids in URLs are lower-cased', () => {
      it('an upper-case session id names the same user', async () => {
        const [admin, victim, sender] = [ctx.newUser(), ctx.newUser(), ctx.newUser()];
        await cliGrant(ctx, admin, { rooms: ['enc'] }, { admin: true });
        await dGet(victim, '/capabilities');
        const upper = '15' + victim.sessionId!.slice(2).toUpperCase();
        expect(jsonOf(await admin.post(`/user/${upper}/ban`, { rooms: ['enc'] }), 200)).toEqual({});
        expect((await dGet(victim, '/room/enc')).code).toBe(404);
        expect(jsonOf(await dGet(admin, `/room/enc/permissions/${upper}`), 200)).toEqual({ banned: true });
        const perms = jsonOf<Record<string, unknown>>(await dGet(admin, '/room/enc/permissions'), 200);
        expect(Object.keys(perms)).toContain(victim.sessionId);
        expect(Object.keys(perms)).not.toContain(upper);
        expect(jsonOf(await sender.post(`/inbox/${upper}`, { message: 'aGk=' }), 201)).toMatchObject({ recipient: victim.sessionId });
      });
    });
  });
}
