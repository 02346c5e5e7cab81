import { Injectable } from '@nestjs/common';
import { Clock } from '../core/clock';
import { RoomFiles } from '../files/room-files';
import { RoomsRepository, type MessageRow, type Tx } from './rooms.repository';
import { RoomsService } from './rooms.service';

/**
 * How a message is deleted (protocol §6.3), one way for every path that deletes: the author's or a
 * moderator's delete, delete-all, and a moderator's rejection of a held or reported message.
 */
@Injectable()
export class MessageRemoval {
  constructor(
    private readonly repo: RoomsRepository,
    private readonly rooms: RoomsService,
    private readonly files: RoomFiles,
    private readonly clock: Clock,
  ) {}

  /**
   * Tombstones a message whose room is locked by this transaction, which has already advanced the
   * sequence by one for it: each removed user-reaction takes one more seqno (protocol §7.1); the
   * message is unpinned and its files expire now (§9.3).
   */
  async deleteLocked(roomId: number, m: MessageRow, tx: Tx): Promise<void> {
    const removed = await this.repo.removeReactions(m.id, {}, tx);
    const seqno = await this.repo.advanceSequence(roomId, removed, tx);
    if (removed > 0) await this.repo.setReactionsSeqno(m.id, seqno - 1, tx);
    const at = this.clock.seconds();
    await this.repo.replaceData(m.id, null, null, null, seqno, at, tx);
    await this.rooms.unpinIn(roomId, m.id, tx);
    await this.files.setMessageFilesExpiry(tx, [m.id], { at });
  }
}
