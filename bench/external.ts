import { createHash } from 'node:crypto';
import { SogsClient, type SogsResponse } from '../src/client';
import { postJson } from './post-data';
import type { RoomState } from './seed';
import { NEW_MESSAGE_BYTES, NEW_MESSAGES, SMALL_ROOM_MESSAGES } from './seed';
import { treeUsage, type MeasuredServer } from './server-process';

/*
 * Side by side (`--target=URL`): the same scenarios against a SOGS server this bench did not start
 * (another implementation, or ours started by hand). Nothing is seeded by SQL there, so the rooms
 * are brought to the seed's shape through the protocol itself before anything is timed, and the
 * server's CPU is read from /proc for the process tree the caller names.
 */

export interface ExternalTarget {
  url: string;
  pubkey: string;
  pid: number;
  /** Rooms the poll scenarios read (3 of them for the 3-room polls). */
  pollRooms: string[];
  /** Rooms the post scenario writes to. */
  postRooms: string[];
  /** Messages a polled room holds before the busy ones are added (the seed's rooms hold 1,000). */
  fill: number;
}

/** Parses the --target-* options; null without --target. Throws on a missing or bad value. */
export function parseTarget(args: string[]): ExternalTarget | null {
  const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const url = value('target');
  if (url === undefined) return null;
  const pubkey = value('target-pubkey') ?? '';
  const pid = Number(value('target-pid'));
  const list = (name: string) => (value(name) ?? '').split(',').filter(Boolean);
  const pollRooms = list('target-rooms');
  const postRooms = list('target-post-rooms');
  const fill = Number(value('target-fill') ?? SMALL_ROOM_MESSAGES);
  if (!/^https?:\/\/[^/]+$/.test(url)) throw new Error(`--target must be http://host:port, got ${url}`);
  if (!/^[0-9a-f]{64}$/i.test(pubkey)) throw new Error('--target-pubkey must be the server X25519 public key, 64 hex digits');
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error('--target-pid must be the server process id (its CPU is read from /proc)');
  if (pollRooms.length < 3) throw new Error('--target-rooms needs at least 3 room tokens (the 3-room polls)');
  if (!Number.isSafeInteger(fill) || fill < 2 * NEW_MESSAGES) throw new Error(`--target-fill must be an integer ≥ ${2 * NEW_MESSAGES}`);
  return { url, pubkey, pid, pollRooms, postRooms: postRooms.length ? postRooms : pollRooms, fill };
}

/** The external server as the scenarios see a started one; stopping it is its owner's business. */
export function externalServer(target: ExternalTarget): MeasuredServer {
  if (treeUsage(target.pid).cpuSeconds === 0) throw new Error(`no process ${target.pid} in /proc (--target-pid)`);
  return {
    url: target.url,
    adminUrl: '',
    rssMb: () => treeUsage(target.pid).rssMb,
    cpuSeconds: () => treeUsage(target.pid).cpuSeconds,
    stop: () => Promise.resolve(),
  };
}

/** Identities that write the prepared history: not the measured users, so their polls see it as anyone would. */
const writerSeed = (i: number) => new Uint8Array(createHash('sha256').update(`scs-bench-writer-${i}`).digest());

interface RoomInfo {
  info_updates: number;
  message_sequence: number;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Brings each polled room to the seed's shape through the protocol (bench/seed.ts): messages up
 * to `fill`, the last NEW_MESSAGES of them small, then NEW_MESSAGES new 1 KB messages with 👍 from
 * three users and ❤️ from two, and one 👍 on each of the NEW_MESSAGES before them, so a poll since
 * `busySince` returns 10 full messages and 10 reaction updates. Returns every room's state.
 */
export async function prepareTarget(target: ExternalTarget, log: (line: string) => void): Promise<Map<string, RoomState>> {
  const writers = Array.from({ length: 5 }, (_, i) => new SogsClient({ baseUrl: target.url, serverPubkey: target.pubkey, seed: writerSeed(i) }));
  const expectCode = async (what: string, res: Promise<SogsResponse>, code: number): Promise<SogsResponse> => {
    const r = await res;
    if (r.code !== code) throw new Error(`${what}: ${r.code} ${r.text().slice(0, 200)}`);
    return r;
  };
  const info = async (token: string): Promise<RoomInfo> => (await expectCode(`GET /room/${token}`, writers[0].get(`/room/${token}`), 200)).json<RoomInfo>();
  const post = async (token: string, bytes: number, writer: number): Promise<number> =>
    (await expectCode(`post to ${token}`, writers[writer % writers.length].post(`/room/${token}/message`, postJson(bytes)), 201)).json<{ id: number }>().id;
  const react = (token: string, id: number, emoji: string, writer: number) =>
    expectCode(`react in ${token}`, writers[writer].put(`/room/${token}/reaction/${id}/${encodeURIComponent(emoji)}`), 200);
  // The seqno a client polls from is the highest one its replies carried: the room's
  // `message_sequence` need not count reaction changes (bunsogs' does not), so ask until nothing is new.
  const latestSeqno = async (token: string, from: number): Promise<number> => {
    let since = from;
    for (;;) {
      const batch = (await expectCode(`messages since in ${token}`, writers[0].get(`/room/${token}/messages/since/${since}?t=r&limit=256`), 200)).json<Array<{ seqno: number }>>();
      const top = Math.max(since, ...batch.map((m) => m.seqno));
      if (top === since) return since;
      since = top;
    }
  };

  const states = new Map<string, RoomState>();
  const started = Date.now();
  for (const token of target.pollRooms) {
    const have = (await info(token)).message_sequence;
    const small = Math.max(0, target.fill - NEW_MESSAGES - have);
    await pool(Array.from({ length: small }), 16, (_, i) => post(token, 96, i).then(() => undefined));
    // the NEW_MESSAGES that will get a late 👍 each are the last of the history, posted in order
    const before: number[] = [];
    for (let i = 0; i < NEW_MESSAGES; i++) before.push(await post(token, 96, i));
    const busySince = await latestSeqno(token, (await info(token)).message_sequence);
    const fresh: number[] = [];
    for (let i = 0; i < NEW_MESSAGES; i++) fresh.push(await post(token, NEW_MESSAGE_BYTES, i));
    for (const id of fresh) {
      for (let w = 0; w < 3; w++) await react(token, id, '👍', w);
      for (let w = 3; w < 5; w++) await react(token, id, '❤️', w);
    }
    for (const id of before) await react(token, id, '👍', 0);
    const now = await info(token);
    const messageSequence = await latestSeqno(token, Math.max(busySince, now.message_sequence));
    states.set(token, { token, infoUpdates: now.info_updates, messageSequence, busySince, newestMessage: fresh[fresh.length - 1] });
  }
  for (const token of target.postRooms) {
    if (states.has(token)) continue;
    const now = await info(token);
    states.set(token, { token, infoUpdates: now.info_updates, messageSequence: now.message_sequence, busySince: now.message_sequence, newestMessage: 0 });
  }
  log(`prepared ${target.pollRooms.length} rooms on ${target.url} through the protocol in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return states;
}
