// SinceResults (issue 18 item 2): what is kept, for which room seqno, and when nothing is shared.
import type { ChangeEvent, ChangeFeed } from '../../../src/cache/change-feed';
import type { Room } from '../../../src/generated/prisma/client';
import { SinceResults, type SharedSince } from '../../../src/rooms/since-results';
import { asFake, FixedClock, unitConfig } from '../support/fakes';

function setup(config = {}) {
  const listeners: Array<(e: ChangeEvent) => void> = [];
  const feed = { live: true, epoch: 0, subscribe: (l: (e: ChangeEvent) => void) => listeners.push(l) };
  const results = new SinceResults(unitConfig(config), asFake<ChangeFeed>(feed), new FixedClock());
  let loads = 0;
  const load = () => {
    loads++;
    return Promise.resolve<SharedSince>({ body: Buffer.from(String(loads)), personal: new Set() });
  };
  const room = (seqno: number, id = 1) => asFake<Room>({ id, messageSequence: seqno });
  const q = { after: 3, withReactions: true, limit: 100, reactors: 5 };
  const get = async (r: Room, c: 'public' | 'moderator' = 'public', query = q) => (await results.get(r, c, query, load))?.body.toString() ?? null;
  return { feed, emit: (e: ChangeEvent) => listeners.forEach((l) => l(e)), get, loads: () => loads, room, q };
}

describe('SinceResults', () => {
  it('shares one load per (room seqno, query, class), from the first time a reply is asked for', async () => {
    const { get, room, loads, q } = setup();
    expect(await get(room(10))).toBe('1');
    expect(loads()).toBe(1);
    expect(await get(room(10))).toBe('1');
    expect(await get(room(10), 'moderator')).toBe('2');
    expect(await get(room(10), 'public', { ...q, reactors: 0 })).toBe('3');
    expect(await get(room(10, 2))).toBe('4');
    expect(loads()).toBe(4);
  });

  it('forgets a room when its seqno moves, and shares nothing with a request that read the room before', async () => {
    const { get, room } = setup();
    expect(await get(room(10))).toBe('1');
    expect(await get(room(11))).toBe('2');
    expect(await get(room(10))).toBeNull();
    expect(await get(room(11))).toBe('2');
  });

  it('forgets on the change feed: the room, any user, a gap', async () => {
    const { get, room, emit } = setup();
    expect(await get(room(10))).toBe('1');
    emit({ kind: 'room', roomId: 1 });
    expect(await get(room(10))).toBe('2');
    emit({ kind: 'user', userId: 5 });
    expect(await get(room(10))).toBe('3');
    emit({ kind: 'reset' });
    expect(await get(room(10))).toBe('4');
    emit({ kind: 'room', roomId: 2 });
    expect(await get(room(10))).toBe('4');
  });

  it('shares nothing when off or while the feed is not live', async () => {
    const off = setup({ SINCE_SHARED_ENTRIES: 0 });
    expect(await off.get(off.room(10))).toBeNull();
    const down = setup();
    down.feed.live = false;
    expect(await down.get(down.room(10))).toBeNull();
    expect(down.loads()).toBe(0);
  });
});
