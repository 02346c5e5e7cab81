import { createTestContext, type TestContext } from '../../support/context';

// protocol §6.1 (test_routes_general.py, test_auth_batch of protocol §14) through onion requests.
let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ config: { BATCH_MAX_REQUESTS: 5, BATCH_MAX_BYTES: 4096 } });
});
afterAll(() => ctx.close());

const CAPS = { capabilities: ['blind', 'reactions', 'sogs'] };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const dmCount = (to: string) => ctx.prisma.inboxMessage.count({ where: { recipient: { sessionId: to } } });

async function pair() {
  const [alice, bob] = [ctx.newUser(), ctx.newUser()];
  await bob.get('/capabilities');
  return { alice, bob, dm: `/inbox/${bob.sessionId}` };
}

describe('GET /capabilities', () => {
  it('lists sorted capabilities, 412 with the missing ones in request order (duplicates allowed)', async () => {
    const anon = ctx.anon();
    expect((await anon.get('/capabilities')).json()).toEqual(CAPS);
    expect((await anon.get('/capabilities?required=sogs,blind,sogs')).code).toBe(200);
    const res = await anon.get('/capabilities?required=magic,sogs,a,magic');
    expect(res.code).toBe(412);
    expect(res.json()).toEqual({ ...CAPS, missing: ['magic', 'a', 'magic'] });
  });
});

describe('test_routes_general: POST /batch', () => {
  it('runs mixed GET/POST sub-requests with json, b64 and bytes bodies, in order, non-JSON bodies base64', async () => {
    const { alice, bob, dm } = await pair();
    const res = await alice.batch([
      { method: 'GET', path: '/capabilities?required=sogs' },
      { method: 'POST', path: dm, json: { message: b64('one') } },
      { method: 'POST', path: dm, b64: b64(JSON.stringify({ message: b64('two') })) },
      { method: 'POST', path: dm, bytes: JSON.stringify({ message: b64('three') }), headers: { 'Content-Type': 'application/json' } },
      { method: 'GET', path: '/no/such/route' },
    ]);
    expect(res.code).toBe(200);
    expect(res.items.map((i) => i.code)).toEqual([200, 201, 201, 201, 404]);
    expect(res.items[0]).toEqual({ code: 200, headers: { 'content-type': 'application/json' }, body: CAPS });
    expect(res.items[4].headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(typeof res.items[4].body).toBe('string');
    expect(Buffer.from(res.items[4].body as string, 'base64').toString()).toMatch(/no\/such\/route/);
    const inbox = await bob.get('/inbox');
    expect(
      inbox
        .json<Array<{ message: string }>>()
        .map((m) => Buffer.from(m.message, 'base64').toString())
        .sort(),
    ).toEqual(['one', 'three', 'two']);
  });

  it('rejects the whole batch (400) before running anything when one element is invalid', async () => {
    const { alice, bob, dm } = await pair();
    for (const bad of [{ method: 'GET', path: dm, json: {} }, { method: 'POST', path: dm }, { method: 'GET', path: 'inbox' }, { method: 'HEAD', path: '/' }, 'GET /']) {
      const res = await alice.request({ method: 'POST', path: '/batch', json: [{ method: 'POST', path: dm, json: { message: b64('x') } }, bad] });
      expect(res.code).toBe(400);
      expect(res.text()).toMatch(/Invalid batch request/);
    }
    expect((await alice.request({ method: 'POST', path: '/batch', json: { method: 'GET', path: '/' } })).code).toBe(400);
    expect(await dmCount(bob.sessionId!)).toBe(0);
  });

  it('refuses more than BATCH_MAX_REQUESTS (400) and a body over BATCH_MAX_BYTES (413), with reasons', async () => {
    const alice = ctx.newUser();
    const get = { method: 'GET' as const, path: '/capabilities' };
    expect((await alice.batch(Array(5).fill(get))).items).toHaveLength(5);
    const many = await alice.batch(Array(6).fill(get));
    expect([many.code, many.text()]).toEqual([400, 'Invalid batch request: 6 requests exceed the limit of 5']);
    const big = await alice.batch([{ method: 'POST', path: '/capabilities', bytes: 'x'.repeat(5000) }]);
    expect(big.code).toBe(413);
    expect(big.text()).toMatch(/exceeds the limit of 4096/);
  });

  it('answers an empty batch with an empty list', async () => {
    const res = await ctx.newUser().batch([]);
    expect([res.code, res.items]).toEqual([200, []]);
  });
});

describe('test_routes_general: POST /sequence', () => {
  it('stops after the first non-2xx; the failing reply is the last element', async () => {
    const { alice, bob, dm } = await pair();
    const res = await alice.sequence([
      { method: 'POST', path: dm, json: { message: b64('first') } },
      { method: 'GET', path: '/capabilities?required=nope' },
      { method: 'POST', path: dm, json: { message: b64('never') } },
    ]);
    expect(res.code).toBe(200);
    expect(res.items.map((i) => i.code)).toEqual([201, 412]);
    expect(await dmCount(bob.sessionId!)).toBe(1);
  });
});

describe('test_auth_batch', () => {
  it('applies the outer user to every sub-request of /batch and /sequence', async () => {
    const alice = ctx.newUser();
    for (const run of [alice.batch.bind(alice), alice.sequence.bind(alice)]) {
      const res = await run([
        { method: 'GET', path: '/inbox' },
        { method: 'GET', path: '/outbox' },
      ]);
      expect(res.items.map((i) => i.code)).toEqual([200, 200]);
    }
    const anon = await ctx.anon().batch([{ method: 'GET', path: '/inbox' }]);
    expect(anon.items[0].code).toBe(401);
    expect(Buffer.from(anon.items[0].body as string, 'base64').toString()).toBe('X-SOGS-* request authentication required');
  });

  it('ignores X-SOGS-* headers inside sub-requests (garbage or another user’s)', async () => {
    const { alice, bob, dm } = await pair();
    const garbage = { 'X-SOGS-Pubkey': 'zz', 'X-SOGS-Nonce': 'nope', 'X-SOGS-Timestamp': 'x', 'X-SOGS-Signature': '' };
    const res = await alice.batch([{ method: 'GET', path: '/inbox', headers: garbage }]);
    expect(res.items[0].code).toBe(200);
    // bob's valid signature inside an anonymous batch does not make it bob's
    const bobs = bob.signHeaders('GET', '/inbox');
    const anon = await ctx.anon().batch([{ method: 'GET', path: '/inbox', headers: bobs }]);
    expect(anon.items[0].code).toBe(401);
    // the DM sent by alice's batch is from alice, whatever the inner headers say
    await alice.batch([{ method: 'POST', path: dm, json: { message: b64('hi') }, headers: bobs }]);
    const [msg] = (await bob.get('/inbox')).json<Array<{ sender: string }>>();
    expect(msg.sender).toBe(alice.sessionId);
  });
});
