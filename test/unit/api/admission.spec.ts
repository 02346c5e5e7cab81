import { AdmissionControl } from '../../../src/api/admission';

describe('admission control (hardening: overload)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('admits up to maxInFlight at once, then queues in arrival order', async () => {
    const gate = new AdmissionControl({ maxInFlight: 2, maxQueue: 10, queueTimeoutMs: 1000 });
    const first = await gate.acquire();
    const second = await gate.acquire();
    expect(first && second).toBeTruthy();
    const order: string[] = [];
    const third = gate.acquire().then((r) => (order.push('third'), r));
    const fourth = gate.acquire().then((r) => (order.push('fourth'), r));
    expect(gate.waiting).toBe(2);
    first!();
    first!(); // a second release of the same slot gives nothing back
    await Promise.resolve();
    expect(order).toEqual(['third']);
    expect(gate.active).toBe(2);
    second!();
    expect(await fourth).toBeInstanceOf(Function);
    expect(await third).toBeInstanceOf(Function);
    expect(order).toEqual(['third', 'fourth']);
  });

  it('refuses at once when the queue is full', async () => {
    const gate = new AdmissionControl({ maxInFlight: 1, maxQueue: 1, queueTimeoutMs: 1000 });
    await gate.acquire();
    const queued = gate.acquire();
    expect(await gate.acquire()).toBeNull();
    expect(gate.waiting).toBe(1);
    void queued;
  });

  it('gives up on a waiter after queueTimeoutMs, and its slot goes to the next one', async () => {
    const gate = new AdmissionControl({ maxInFlight: 1, maxQueue: 10, queueTimeoutMs: 500 });
    const held = await gate.acquire();
    const late = gate.acquire();
    jest.advanceTimersByTime(499);
    expect(gate.waiting).toBe(1);
    jest.advanceTimersByTime(1);
    expect(await late).toBeNull();
    expect(gate.waiting).toBe(0);
    const next = gate.acquire();
    held!();
    expect(await next).toBeInstanceOf(Function);
    expect(gate.active).toBe(1);
  });

  it('maxInFlight 0 turns it off', async () => {
    const gate = new AdmissionControl({ maxInFlight: 0, maxQueue: 0, queueTimeoutMs: 0 });
    const slots = await Promise.all(Array.from({ length: 100 }, () => gate.acquire()));
    expect(slots.every((s) => typeof s === 'function')).toBe(true);
  });
});
