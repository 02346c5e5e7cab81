// JSON shapes of messages and their reactions (protocol §6.3, §7.2). Pure: rows in, objects out.

/** One (reaction, reactor) row as the repository returns it, ordered by message, reaction id, rank. */
export interface ReactionRow {
  message: number;
  reactionId: number;
  reaction: string;
  /** Number of users with this reaction. */
  count: number;
  /** Whether the viewer has this reaction. */
  you: boolean;
  sessionId: string;
  at: number;
}

export interface ReactionInfo {
  index: number;
  count: number;
  reactors?: string[];
  you?: true;
}

export type ReactionsBlock = Record<string, ReactionInfo>;

/** What a message row must provide to be shown. */
export interface MessageFields {
  id: number;
  sessionId: string;
  posted: number;
  edited: number | null;
  seqno: number;
  seqnoData: number;
  seqnoReactions: number;
  data: Uint8Array | null;
  signature: Uint8Array | null;
  whisperTo: string | null;
  whisperMods: boolean;
}

export interface MessageJson {
  id: number;
  session_id: string;
  posted: number;
  seqno: number;
  data: string | null;
  signature?: string;
  deleted?: true;
  edited?: number;
  whisper?: true;
  whisper_mods?: boolean;
  whisper_to?: string;
  reactions?: ReactionsBlock;
}

export interface ReactionUpdateJson {
  id: number;
  seqno: number;
  reactions: ReactionsBlock;
}

/**
 * Reactions blocks per message (protocol §6.3): `index` in order of the reaction row's creation (a
 * reaction removed entirely and re-added gets a new row, so it moves to the end), `count`, the
 * first `reactors` reactors by time (the key is omitted when `reactors` is 0), `you` only when set.
 * Messages without reactions get no entry (callers default to `{}`).
 */
export function buildReactions(rows: readonly ReactionRow[], reactors: number): Map<number, ReactionsBlock> {
  const byMessage = new Map<number, Map<number, { reaction: string; info: ReactionInfo }>>();
  for (const row of rows) {
    let reactions = byMessage.get(row.message);
    if (!reactions) byMessage.set(row.message, (reactions = new Map<number, { reaction: string; info: ReactionInfo }>()));
    let entry = reactions.get(row.reactionId);
    if (!entry) {
      const info: ReactionInfo = { index: 0, count: row.count };
      if (reactors > 0) info.reactors = [];
      if (row.you) info.you = true;
      reactions.set(row.reactionId, (entry = { reaction: row.reaction, info }));
    }
    if (entry.info.reactors && entry.info.reactors.length < reactors) entry.info.reactors.push(row.sessionId);
  }
  const result = new Map<number, ReactionsBlock>();
  for (const [message, reactions] of byMessage) {
    const block: ReactionsBlock = {};
    [...reactions.entries()]
      .sort(([a], [b]) => a - b)
      .forEach(([, { reaction, info }], index) => {
        info.index = index;
        block[reaction] = info;
      });
    result.set(message, block);
  }
  return result;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** The full message object, or its tombstone when deleted (protocol §6.3, §7.2). */
export function messageJson(m: MessageFields, reactions: ReactionsBlock | undefined): MessageJson {
  const json: MessageJson = { id: m.id, session_id: m.sessionId, posted: m.posted, seqno: m.seqno, data: null };
  if (m.edited !== null) json.edited = m.edited;
  if (m.data === null) {
    json.deleted = true;
    return json;
  }
  json.data = b64(m.data);
  if (m.signature) json.signature = b64(m.signature);
  if (m.whisperTo !== null || m.whisperMods) {
    json.whisper = true;
    json.whisper_mods = m.whisperMods;
    if (m.whisperTo !== null) json.whisper_to = m.whisperTo;
  }
  json.reactions = reactions ?? {};
  return json;
}

/**
 * One row of a `since` poll from seqno `after` (protocol §7.2): a reaction-only update when only the
 * reactions changed since then, else the full message (or tombstone).
 */
export function sinceRowJson(m: MessageFields, after: number, reactions: ReactionsBlock | undefined): MessageJson | ReactionUpdateJson {
  if (m.seqnoReactions > after && after >= m.seqnoData) return { id: m.id, seqno: m.seqno, reactions: reactions ?? {} };
  return messageJson(m, reactions);
}
