// RoomsRepository in memory: the message_sequence counter of each room, message rows with their
// three seqnos, reactions and pins, with the contracts of the SQL behind them (scs_post_message,
// UPDATE … RETURNING); and the FilesRepository writes the rooms module makes (through RoomFiles),
// recorded in the same state so a rolled-back transaction drops them too.
import type { FilesRepository, FilesToAttach, MessageFilesExpiry, Tx } from '../../../src/files/files.repository';
import type { UserPermissionOverride } from '../../../src/generated/prisma/client';
import type { MessageRow, NewPostRow, PostOutcome, RoomsRepository } from '../../../src/rooms/rooms.repository';
import { InMemoryRows } from '../support/fakes';
import { canSeeMessage, type Viewer } from '../../../src/rooms/visibility';

type Used =
  | 'transaction'
  | 'advanceSequence'
  | 'message'
  | 'regularMessageExists'
  | 'replaceData'
  | 'setReactionsSeqno'
  | 'removeReactions'
  | 'addReactionIn'
  | 'removeReactionIn'
  | 'unpin'
  | 'bumpInfoUpdates'
  | 'recordActivity'
  | 'postMessage'
  | 'findBySignature'
  | 'liveMessageIdsOf'
  | 'userIdBySessionId'
  | 'userFlags'
  | 'override';

type FilesUsed = 'attachToMessage' | 'setMessageFilesExpiry' | 'expireUploadsOf';

export type FileExpiryChange = { messageIds: number[]; mode: MessageFilesExpiry };

interface State {
  sequence: Map<number, number>;
  infoUpdates: Map<number, number>;
  messages: Map<number, MessageRow>;
  /** message id → reaction → users who reacted */
  reactions: Map<number, Map<string, Set<number>>>;
  pins: Map<number, Set<number>>;
  fileExpiries: FileExpiryChange[];
  attached: Array<{ messageId: number; files: FilesToAttach }>;
  expiredUploads: Array<{ roomId: number; userId: number; at: number }>;
}

export class FakeRoomsRepository extends InMemoryRows<State> implements Pick<RoomsRepository, Used>, Pick<FilesRepository, FilesUsed> {
  private nextId = 1;
  /** Known users: session id → user id (and moderator/admin flags). */
  readonly users = new Map<string, { id: number; moderator: boolean; admin: boolean }>();
  readonly overrides = new Map<string, UserPermissionOverride>();
  /** Every post row handed to scs_post_message. */
  readonly posts: NewPostRow[] = [];

  constructor() {
    super({ sequence: new Map(), infoUpdates: new Map(), messages: new Map(), reactions: new Map(), pins: new Map(), fileExpiries: [], attached: [], expiredUploads: [] });
  }

  addRoom(roomId: number, sequence = 0): void {
    this.state.sequence.set(roomId, sequence);
    this.state.infoUpdates.set(roomId, 0);
    this.state.pins.set(roomId, new Set());
  }

  addUser(id: number, sessionId: string, flags: { moderator?: boolean; admin?: boolean } = {}): void {
    this.users.set(sessionId, { id, moderator: flags.moderator ?? false, admin: flags.admin ?? false });
  }

  /** A stored message as a post would leave it, taking the room's next seqno. */
  addMessage(roomId: number, userId: number, fields: Partial<MessageRow> = {}): MessageRow {
    const seqno = this.bump(roomId, 1);
    const sessionId = [...this.users].find(([, u]) => u.id === userId)?.[0] ?? `05${String(userId).padStart(64, '0')}`;
    const row: MessageRow = {
      id: this.nextId++,
      roomId,
      userId,
      sessionId,
      posted: 1000,
      edited: null,
      seqno,
      seqnoData: seqno,
      seqnoReactions: 0,
      seqnoCreation: seqno,
      data: new Uint8Array([1, 2, 3]),
      signature: new Uint8Array(64).fill(7),
      filtered: false,
      whisperToId: null,
      whisperTo: null,
      whisperMods: false,
      hidden: null,
      ...fields,
    };
    this.state.messages.set(row.id, row);
    return row;
  }

  /** Reactions added outside any seqno change (fixtures). */
  react(messageId: number, reaction: string, ...userIds: number[]): void {
    const byReaction = this.state.reactions.get(messageId) ?? new Map<string, Set<number>>();
    byReaction.set(reaction, new Set([...(byReaction.get(reaction) ?? []), ...userIds]));
    this.state.reactions.set(messageId, byReaction);
  }

  pinsOf(roomId: number): number[] {
    return [...(this.state.pins.get(roomId) ?? [])];
  }

  pinMessage(roomId: number, messageId: number): void {
    this.state.pins.get(roomId)!.add(messageId);
  }

  sequenceOf(roomId: number): number {
    return this.state.sequence.get(roomId)!;
  }

  infoUpdatesOf(roomId: number): number {
    return this.state.infoUpdates.get(roomId)!;
  }

  row(id: number): MessageRow {
    return this.state.messages.get(id)!;
  }

  reactionCount(messageId: number): number {
    return [...(this.state.reactions.get(messageId)?.values() ?? [])].reduce((n, users) => n + users.size, 0);
  }

  get fileExpiries(): readonly FileExpiryChange[] {
    return this.state.fileExpiries;
  }

  get attached(): ReadonlyArray<{ messageId: number; files: FilesToAttach }> {
    return this.state.attached;
  }

  get expiredUploads(): ReadonlyArray<{ roomId: number; userId: number; at: number }> {
    return this.state.expiredUploads;
  }

  private bump(roomId: number, by: number): number {
    const seq = this.state.sequence.get(roomId)! + by;
    this.state.sequence.set(roomId, seq);
    return seq;
  }

  // ---- the repository's methods

  async advanceSequence(roomId: number, by: number): Promise<number> {
    return this.bump(roomId, by);
  }

  async message(roomId: number, id: number): Promise<MessageRow | null> {
    const m = this.state.messages.get(id);
    return m && m.roomId === roomId ? { ...m } : null;
  }

  async regularMessageExists(roomId: number, id: number, _db?: unknown, viewer?: Viewer): Promise<boolean> {
    return this.regularMessage(roomId, id, viewer) !== null;
  }

  private regularMessage(roomId: number, id: number, viewer?: Viewer): MessageRow | null {
    const m = this.state.messages.get(id);
    const regular = !!m && m.roomId === roomId && m.data !== null && !m.filtered && m.whisperToId === null && !m.whisperMods;
    return regular && (!viewer || canSeeMessage(m, viewer)) ? m : null;
  }

  async replaceData(id: number, data: Uint8Array | null, signature: Uint8Array | null, signedAs: string | null, seqno: number, at: number): Promise<void> {
    const m = this.state.messages.get(id)!;
    Object.assign(m, { data, signature, sessionId: signedAs ?? m.sessionId, edited: at, seqnoData: seqno, seqno });
  }

  async setReactionsSeqno(messageId: number, seqno: number): Promise<void> {
    const m = this.state.messages.get(messageId)!;
    Object.assign(m, { seqnoReactions: seqno, seqno: Math.max(m.seqnoData, seqno) });
  }

  async attachToMessage(_tx: Tx, _roomId: number, _userId: number, messageId: number, files: FilesToAttach): Promise<number> {
    this.state.attached.push({ messageId, files });
    return files.ids.length;
  }

  async setMessageFilesExpiry(_tx: Tx, messageIds: number[], mode: MessageFilesExpiry): Promise<void> {
    if (messageIds.length) this.state.fileExpiries.push({ messageIds, mode });
  }

  async expireUploadsOf(_tx: Tx, roomId: number, userId: number, at: number): Promise<void> {
    this.state.expiredUploads.push({ roomId, userId, at });
  }

  async removeReactions(messageId: number, filter: { reaction?: string }): Promise<number> {
    return this.removeUserReactions(messageId, filter);
  }

  /** removingUserReactionsSql: user-reactions (a user's, or everyone's), then the reactions left without users. */
  private removeUserReactions(messageId: number, filter: { reaction?: string; userId?: number }): number {
    const byReaction = this.state.reactions.get(messageId);
    let removed = 0;
    for (const [reaction, users] of byReaction ?? []) {
      if (filter.reaction !== undefined && reaction !== filter.reaction) continue;
      for (const user of [...users]) {
        if (filter.userId !== undefined && user !== filter.userId) continue;
        users.delete(user);
        removed++;
      }
      if (users.size === 0) byReaction!.delete(reaction);
    }
    return removed;
  }

  async addReactionIn(add: Parameters<RoomsRepository['addReactionIn']>[0]): Promise<{ messageSeqno: number | null; allowed: boolean; added: boolean }> {
    const m = this.regularMessage(add.roomId, add.messageId, add.viewer);
    if (!m) return { messageSeqno: null, allowed: false, added: false };
    const byReaction = this.state.reactions.get(add.messageId);
    const present = byReaction?.has(add.reaction) ?? false;
    if (!present && add.maxDistinct > 0 && (byReaction?.size ?? 0) >= add.maxDistinct) return { messageSeqno: m.seqno, allowed: false, added: false };
    if (byReaction?.get(add.reaction)?.has(add.userId)) return { messageSeqno: m.seqno, allowed: true, added: false };
    this.react(add.messageId, add.reaction, add.userId);
    Object.assign(m, { seqnoReactions: add.seqno, seqno: Math.max(m.seqnoData, add.seqno) });
    return { messageSeqno: m.seqno, allowed: true, added: true };
  }

  async removeReactionIn(remove: Parameters<RoomsRepository['removeReactionIn']>[0]): Promise<{ messageSeqno: number | null; removed: boolean }> {
    const m = this.regularMessage(remove.roomId, remove.messageId, remove.viewer);
    if (!m) return { messageSeqno: null, removed: false };
    if (this.removeUserReactions(remove.messageId, { reaction: remove.reaction, userId: remove.userId }) === 0) return { messageSeqno: m.seqno, removed: false };
    Object.assign(m, { seqnoReactions: remove.seqno, seqno: Math.max(m.seqnoData, remove.seqno) });
    return { messageSeqno: m.seqno, removed: true };
  }

  async unpin(roomId: number, messageId: number | null): Promise<number[]> {
    const pins = this.state.pins.get(roomId)!;
    const ids = [...pins].filter((id) => messageId === null || id === messageId);
    for (const id of ids) pins.delete(id);
    return ids;
  }

  async bumpInfoUpdates(roomId: number, by: number): Promise<number> {
    const value = this.state.infoUpdates.get(roomId)! + by;
    this.state.infoUpdates.set(roomId, value);
    return value;
  }

  async recordActivity(): Promise<boolean> {
    return false;
  }

  /** scs_post_message's contract: a repeat in the window returns the original; an unknown recipient or room stores nothing. */
  async postMessage(p: NewPostRow): Promise<PostOutcome> {
    this.posts.push(p);
    if (!this.state.sequence.has(p.roomId)) return { outcome: 'no_room', id: null, seqno: null };
    if (p.repeatSince !== null) {
      const earlier = await this.findBySignature(p.roomId, p.userId, p.signature, p.repeatSince);
      if (earlier !== null) return { outcome: 'repeated', id: earlier, seqno: null };
    }
    const whisperToId = p.whisperTo === null ? null : (this.users.get(p.whisperTo)?.id ?? null);
    if (p.whisperTo !== null && whisperToId === null) return { outcome: 'no_recipient', id: null, seqno: null };
    const m = this.addMessage(p.roomId, p.userId, {
      sessionId: p.signedAs,
      posted: p.posted,
      data: p.data,
      signature: p.signature,
      filtered: p.filtered,
      whisperToId,
      whisperTo: p.whisperTo,
      whisperMods: p.whisperMods,
      hidden: p.hidden,
    });
    return { outcome: 'posted', id: m.id, seqno: m.seqno };
  }

  async findBySignature(roomId: number, userId: number, signature: Uint8Array, since: number): Promise<number | null> {
    const same = (a: Uint8Array | null) => a !== null && Buffer.from(a).equals(Buffer.from(signature));
    for (const m of this.state.messages.values()) {
      if (m.roomId === roomId && m.userId === userId && m.posted >= since && same(m.signature)) return m.id;
    }
    return null;
  }

  async liveMessageIdsOf(roomId: number, userId: number): Promise<number[]> {
    return [...this.state.messages.values()].filter((m) => m.roomId === roomId && m.userId === userId && m.data !== null).map((m) => m.id);
  }

  async userIdBySessionId(sessionId: string): Promise<number | null> {
    return this.users.get(sessionId)?.id ?? null;
  }

  async userFlags(userId: number): Promise<{ moderator: boolean; admin: boolean } | null> {
    const user = [...this.users.values()].find((u) => u.id === userId);
    return user ? { moderator: user.moderator, admin: user.admin } : null;
  }

  async override(roomId: number, userId: number): Promise<UserPermissionOverride | null> {
    return this.overrides.get(`${roomId}:${userId}`) ?? null;
  }
}
