// Every read path a client has to a room's messages, reactions and pins, asked as session-desktop
// asks them (test/conformance/desktop.ts): one by one and inside desktop's poll batch. The
// visibility tests (issue 14) run a viewer through all of them and look for what must not leak.
import type { SogsClient } from '../../../src/client';
import { dGet } from '../../conformance/desktop';
import { expectStatus } from '../../support/rooms-fixtures';

type Json = Record<string, unknown>;

export interface ReadPaths {
  /** since/0 with reactions, recent, before, the room object and pollInfo details (pins), as desktop's batch. */
  batch: unknown[];
  since: Json[];
  recent: Json[];
  before: Json[];
  room: Json;
  /** message/:id for each probed id: the body, or the status when not 200. */
  single: Record<number, Json | number>;
  /** reactors/:id/:emoji for each probed (id, emoji). */
  reactors: Record<string, unknown>;
}

/** Reads everything `client` can read of the room, probing `ids` and `reactions` (emoji per id). */
export async function readAll(client: SogsClient, token: string, probe: { ids: number[]; reactions: Array<[number, string]>; sinceSeqno?: number }): Promise<ReadPaths> {
  const since = probe.sinceSeqno ?? 0;
  const batch = await client.batch([
    { method: 'GET', path: `/room/${token}/messages/since/${since}?t=r&reactors=5`, headers: { 'Content-Type': 'application/json' } },
    { method: 'GET', path: `/room/${token}/pollInfo/0`, headers: { 'Content-Type': 'application/json' } },
    { method: 'GET', path: `/room/${token}/messages/recent?reactors=5` },
    { method: 'GET', path: `/room/${token}/messages/before/2000000000?reactors=5` },
    ...probe.ids.map((id) => ({ method: 'GET' as const, path: `/room/${token}/message/${id}?reactors=5` })),
    ...probe.reactions.map(([id, r]) => ({ method: 'GET' as const, path: `/room/${token}/reactors/${id}/${encodeURIComponent(r)}` })),
  ]);
  expect(batch.code).toBe(200);
  const get = async (path: string) => {
    const res = await dGet(client, path);
    expectStatus(res, 200);
    return res.json<Json[]>();
  };
  const single: Record<number, Json | number> = {};
  for (const id of probe.ids) {
    const res = await dGet(client, `/room/${token}/message/${id}?reactors=5`);
    single[id] = res.code === 200 ? res.json<Json>() : res.code;
  }
  const reactors: Record<string, unknown> = {};
  for (const [id, r] of probe.reactions) {
    const res = await dGet(client, `/room/${token}/reactors/${id}/${encodeURIComponent(r)}`);
    reactors[`${id}:${r}`] = res.code === 200 ? res.json() : res.code;
  }
  const roomRes = await dGet(client, `/room/${token}`);
  expectStatus(roomRes, 200);
  return {
    batch: batch.items.map((i) => i.body),
    since: await get(`/room/${token}/messages/since/${since}?t=r&reactors=5`),
    recent: await get(`/room/${token}/messages/recent?reactors=5`),
    before: await get(`/room/${token}/messages/before/2000000000?reactors=5`),
    room: roomRes.json<Json>(),
    single,
    reactors,
  };
}

/** Everything read, as one string (without the probes' own names): a leak check looks for ids, data and reactions in it. */
export function allText(paths: ReadPaths): string {
  return JSON.stringify({ ...paths, reactors: Object.values(paths.reactors) });
}

/** Message ids in since/recent/before (full rows), and tombstoned ids, of one read. */
export function idsOf(rows: Json[]): { full: number[]; deleted: number[] } {
  return {
    full: rows.filter((m) => typeof m.data === 'string').map((m) => m.id as number),
    deleted: rows.filter((m) => m.deleted === true).map((m) => m.id as number),
  };
}
