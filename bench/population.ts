import { createHash } from 'node:crypto';
import type { Expectation, LoadShape, RequestPlan, RequestTemplate } from './job';
import type { RoomState } from './seed';

/*
 * The `population` scenario (issue 18): N simulated members in R rooms, each polling the way its
 * client does, with a write load proportional to N, open loop. It finds the largest N the server
 * holds with p99 ≤ 100 ms and no errors, and reports members per server core.
 *
 * What each client sends (read from the clients' code):
 * - desktop polls every 10 s: one /batch of pollInfo and messages/since?t=r&reactors=5 per room,
 *   then inbox/since and outbox/since;
 * - Android polls every 4 s (OpenGroupPoller.successfulPollIntervalSeconds); its requests are
 *   merged into one /batch by CommunityApiBatcher: the same per-room pair, inbox and outbox (its
 *   capabilities are cached, so not in the steady-state poll);
 * - iOS polls every 3 s (CommunityPoller.minPollInterval): one /batch of capabilities, then the
 *   per-room pair with messages/since?t=r&reactors=5&limit=100, then inbox and outbox.
 */

export type ClientKind = 'desktop' | 'android' | 'ios';
export const CADENCE_S: Record<ClientKind, number> = { desktop: 10, android: 4, ios: 3 };

export interface PopulationSettings {
  /** Share of each client kind (sums to 1). */
  mix: Record<ClientKind, number>;
  /** Rooms each member has joined (consecutive rooms of the polled set). */
  roomsPerMember: number;
  /** Writes per member per second: posts (1 KB), reactions, uploads (64 KB), DMs (512 B). */
  postsPerMember: number;
  reactionsPerMember: number;
  uploadsPerMember: number;
  dmsPerMember: number;
}

export const DEFAULT_POPULATION: PopulationSettings = {
  mix: { desktop: 0.5, android: 0.3, ios: 0.2 },
  roomsPerMember: 3,
  postsPerMember: 1 / 100,
  reactionsPerMember: 1 / 200,
  uploadsPerMember: 1 / 5000,
  dmsPerMember: 1 / 2000,
};

/** BENCH_POPULATION_MIX="desktop=0.5,android=0.3,ios=0.2" (normalised), else the default mix. */
export function parseMix(text: string | undefined): Record<ClientKind, number> {
  if (!text) return DEFAULT_POPULATION.mix;
  const mix: Record<ClientKind, number> = { desktop: 0, android: 0, ios: 0 };
  for (const part of text.split(',')) {
    const [kind, share] = part.split('=');
    if (!(kind in mix) || !(Number(share) >= 0)) throw new Error(`BENCH_POPULATION_MIX: "${part}" is not desktop|android|ios=share`);
    mix[kind as ClientKind] = Number(share);
  }
  const sum = mix.desktop + mix.android + mix.ios;
  if (!(sum > 0)) throw new Error('BENCH_POPULATION_MIX: the shares add up to 0');
  return { desktop: mix.desktop / sum, android: mix.android / sum, ios: mix.ios / sum };
}

/** Deterministic member identities: the same seeds every run, distinct from the fixed bench users. */
export function memberSeeds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => createHash('sha256').update(`scs-bench-member-${i}`).digest('hex'));
}

/** A stable pseudo-random fraction in [0, 1) for member i and a purpose. */
function fraction(i: number, purpose: string): number {
  return createHash('sha256').update(`${purpose}:${i}`).digest().readUInt32BE(0) / 2 ** 32;
}

function kindOf(i: number, mix: Record<ClientKind, number>): ClientKind {
  const f = fraction(i, 'kind');
  return f < mix.desktop ? 'desktop' : f < mix.desktop + mix.android ? 'android' : 'ios';
}

export function pollTemplate(kind: ClientKind, rooms: RoomState[], since: (r: RoomState) => number): RequestTemplate {
  const query = kind === 'ios' ? '?t=r&reactors=5&limit=100' : '?t=r&reactors=5';
  const json = [
    ...(kind === 'ios' ? [{ method: 'GET', path: '/capabilities' }] : []),
    ...rooms.flatMap((r) => [
      { method: 'GET', path: `/room/${r.token}/pollInfo/${r.infoUpdates}` },
      { method: 'GET', path: `/room/${r.token}/messages/since/${since(r)}${query}` },
    ]),
    { method: 'GET', path: '/inbox/since/0' },
    { method: 'GET', path: '/outbox/since/0' },
  ];
  return { method: 'POST', path: '/batch', json };
}

export interface PopulationLoad {
  templates: RequestTemplate[];
  plan: RequestPlan;
  /** Requests per second offered, by kind of request. */
  offered: { polls: number; posts: number; reactions: number; uploads: number; dms: number };
}

const OK_201: Expectation = { kind: 'status', code: 201 };
const OK_200: Expectation = { kind: 'status', code: 200 };

/**
 * The timed requests of `members` members over `durationMs`. Each poll asks since the seqno its
 * member would have seen one cadence (and a second of slack) earlier: the writes are scheduled here
 * too, so the seqno each room has reached at any moment is known in advance (every post and
 * reaction takes one, protocol §7.1). Erring early only makes a poll return more, never less.
 */
export function populationLoad(members: number, rooms: RoomState[], durationMs: number, settings: PopulationSettings): PopulationLoad {
  const R = rooms.length;
  const templates: RequestTemplate[] = [];
  const templateIndex = new Map<string, number>();
  const template = (key: string, make: () => RequestTemplate) => {
    let i = templateIndex.get(key);
    if (i === undefined) {
      i = templates.push(make()) - 1;
      templateIndex.set(key, i);
    }
    return i;
  };
  const entries: Array<[number, number, number]> = [];
  const seconds = durationMs / 1000;

  // Writes: evenly spaced, round-robin over the rooms, each by a member chosen deterministically.
  const events: number[][] = rooms.map(() => []);
  const writes = (perMember: number, add: (k: number, atMs: number) => void) => {
    const rate = perMember * members;
    for (let k = 0; rate > 0 && k / rate < seconds; k++) add(k, (k / rate) * 1000);
  };
  writes(settings.postsPerMember, (k, at) => {
    const room = rooms[k % R];
    events[k % R].push(at);
    entries.push([
      at,
      Math.floor(fraction(k, 'poster') * members),
      template(`post:${room.token}`, () => ({ method: 'POST', path: `/room/${room.token}/message`, postBytes: 1024, expect: OK_201 })),
    ]);
  });
  const emoji = ['👍', '❤️', '😂', '🔥', '🎉'].map(encodeURIComponent);
  writes(settings.reactionsPerMember, (k, at) => {
    const r = (k + 7) % R;
    const room = rooms[r];
    events[r].push(at);
    const e = emoji[k % emoji.length];
    entries.push([
      at,
      Math.floor(fraction(k, 'reactor') * members),
      template(`react:${room.token}:${e}`, () => ({ method: 'PUT', path: `/room/${room.token}/reaction/${room.newestMessage}/${e}`, expect: OK_200 })),
    ]);
  });
  writes(settings.uploadsPerMember, (k, at) => {
    const room = rooms[(k + 3) % R];
    entries.push([
      at,
      Math.floor(fraction(k, 'uploader') * members),
      template(`upload:${room.token}`, () => ({ method: 'POST', path: `/room/${room.token}/file`, uploadBytes: 64 * 1024, expect: OK_201 })),
    ]);
  });
  writes(settings.dmsPerMember, (k, at) => {
    entries.push([at, Math.floor(fraction(k, 'dm') * members), template('dm', () => ({ method: 'POST', path: '/inbox', dmBytes: 512, expect: OK_201 }))]);
  });
  for (const e of events) e.sort((a, b) => a - b);
  /** Seqno room r has reached at `atMs` (its events before then). */
  const seqnoAt = (r: number, atMs: number) => {
    const list = events[r];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] < atMs) lo = mid + 1;
      else hi = mid;
    }
    return rooms[r].messageSequence + lo;
  };

  let polls = 0;
  for (let m = 0; m < members; m++) {
    const kind = kindOf(m, settings.mix);
    const cadenceMs = CADENCE_S[kind] * 1000;
    const first = Math.floor(fraction(m, 'rooms') * R);
    const mine = Array.from({ length: Math.min(settings.roomsPerMember, R) }, (_, j) => (first + j) % R);
    for (let at = fraction(m, 'phase') * cadenceMs; at < durationMs; at += cadenceMs) {
      // since values move in whole seconds, so members polling in the same second share a template
      const seenAt = Math.floor((at - cadenceMs - 1000) / 1000) * 1000;
      const sinceOf = (r: number) => seqnoAt(r, seenAt);
      const key = `poll:${kind}:${first}:${mine.map(sinceOf).join(',')}`;
      entries.push([
        at,
        m,
        template(key, () =>
          pollTemplate(
            kind,
            mine.map((r) => rooms[r]),
            (room) => sinceOf(rooms.indexOf(room)),
          ),
        ),
      ]);
      polls++;
    }
  }
  entries.sort((a, b) => a[0] - b[0]);
  return {
    templates,
    plan: { at: entries.map((e) => e[0]), member: entries.map((e) => e[1]), template: entries.map((e) => e[2]) },
    offered: {
      polls: polls / seconds,
      posts: settings.postsPerMember * members,
      reactions: settings.reactionsPerMember * members,
      uploads: settings.uploadsPerMember * members,
      dms: settings.dmsPerMember * members,
    },
  };
}

/** One poll per member not yet seen, all due at once (first sight creates its user and room rows; not measured). */
export function warmUpLoad(from: number, to: number, rooms: RoomState[], settings: PopulationSettings): { templates: RequestTemplate[]; plan: RequestPlan } {
  const templates: RequestTemplate[] = [];
  const plan: RequestPlan = { at: [], member: [], template: [] };
  const R = rooms.length;
  for (let m = from; m < to; m++) {
    const first = Math.floor(fraction(m, 'rooms') * R);
    const mine = Array.from({ length: Math.min(settings.roomsPerMember, R) }, (_, j) => rooms[(first + j) % R]);
    plan.at.push(0);
    plan.member.push(m);
    plan.template.push(templates.push(pollTemplate(kindOf(m, settings.mix), mine, (r) => r.messageSequence)) - 1);
  }
  return { templates, plan };
}

export const scheduleShape = (maxInFlight: number): LoadShape => ({ kind: 'schedule', maxInFlight });
