import { PassThrough } from 'node:stream';
import { BODY_BUDGET_EXCEEDED, BodyBudget } from '../../../src/core/body-budget';

// The process-wide body budget on streams alone (test/reliability/slow-clients.spec.ts holds it
// against real sockets): bytes are held from arrival until the body ends or is dropped.

const read = (body: NodeJS.ReadableStream) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: Buffer) => chunks.push(c));
    body.on('end', () => resolve(Buffer.concat(chunks)));
    body.on('error', reject);
  });

const tick = () => new Promise((r) => setImmediate(r));

describe('BodyBudget', () => {
  it('passes the body through, holding its bytes until it ends; a body nobody reads holds nothing', async () => {
    const budget = new BodyBudget(100);
    const unread = new PassThrough();
    budget.meter(unread);
    unread.write(Buffer.alloc(60));
    const source = new PassThrough();
    const body = read(budget.meter(source));
    source.write(Buffer.alloc(30, 1));
    await tick();
    expect(budget.bytes).toBe(30);
    source.end(Buffer.alloc(20, 2));
    expect(await body).toEqual(Buffer.concat([Buffer.alloc(30, 1), Buffer.alloc(20, 2)]));
    expect(budget.bytes).toBe(0);
  });

  it('refuses the chunk that would pass the budget with a 503, gives back what the body held and stops reading it', async () => {
    const budget = new BodyBudget(100);
    const first = new PassThrough();
    void read(budget.meter(first));
    first.write(Buffer.alloc(70));
    const second = new PassThrough();
    const refused = read(budget.meter(second));
    second.write(Buffer.alloc(20));
    await tick();
    second.write(Buffer.alloc(20));
    await expect(refused).rejects.toMatchObject({ statusCode: 503, message: BODY_BUDGET_EXCEEDED });
    expect(budget.bytes).toBe(70);
    expect(second.isPaused()).toBe(true);
  });

  it('a body whose client is gone mid-way hands its bytes back', async () => {
    const budget = new BodyBudget(100);
    const source = new PassThrough();
    const body = budget.meter(source);
    body.on('data', () => undefined);
    body.on('error', () => undefined);
    source.write(Buffer.alloc(40));
    await tick();
    expect(budget.bytes).toBe(40);
    source.destroy();
    await tick();
    expect(budget.bytes).toBe(0);
  });
});
