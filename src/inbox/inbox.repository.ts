import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

/** A stored DM with both parties' session ids (protocol §6.9). */
export interface DirectMessage {
  id: number;
  postedAt: number;
  expiry: number;
  sender: string;
  recipient: string;
  body: Uint8Array;
}

/** Per box, the highest DM id there is: a poll since that id has nothing to read. */
export interface LatestDirectMessageIds {
  inbox: number;
  outbox: number;
}

const withParties = {
  sender: { select: { sessionId: true } },
  recipient: { select: { sessionId: true } },
} as const;

export interface ImportedDirectMessage {
  recipientId: number;
  senderId: number;
  body: Buffer;
  postedAt: number;
  expiry: number;
}

/** inbox table I/O (protocol §8 inbox). Expired rows are never returned, even before the sweep. */
@Injectable()
export class InboxRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Messages to (`box` = recipient) or from (`box` = sender) a user with id > afterId, oldest first. */
  async list(box: 'recipient' | 'sender', userId: number, afterId: number, limit: number, now: number): Promise<DirectMessage[]> {
    const rows = await this.prisma.inboxMessage.findMany({
      where: { [box === 'recipient' ? 'recipientId' : 'senderId']: userId, id: { gt: afterId }, expiry: { gt: now } },
      orderBy: { id: 'asc' },
      take: limit,
      include: withParties,
    });
    return rows.map((r) => ({
      id: r.id,
      postedAt: r.postedAt,
      expiry: r.expiry,
      sender: r.senderSessionId ?? r.sender.sessionId,
      recipient: r.recipientSessionId ?? r.recipient.sessionId,
      body: r.body,
    }));
  }

  /** The newest DM ids to and from a user (0 when none), expired or not. */
  async latestIds(userId: number): Promise<LatestDirectMessageIds> {
    const rows = await this.prisma.$queryRaw<LatestDirectMessageIds[]>`
      SELECT COALESCE((SELECT max(id) FROM inbox WHERE recipient = ${userId}), 0) AS inbox,
        COALESCE((SELECT max(id) FROM inbox WHERE sender = ${userId}), 0) AS outbox`;
    return rows[0];
  }

  /** `sender` / `recipient`: the users' rows and the session ids the DM was signed as and addressed to. */
  async insert(
    sender: { id: number; sessionId: string },
    recipient: { id: number; sessionId: string },
    body: Uint8Array,
    postedAt: number,
    expiry: number,
  ): Promise<{ id: number }> {
    return this.prisma.inboxMessage.create({
      data: {
        senderId: sender.id,
        senderSessionId: sender.sessionId,
        recipientId: recipient.id,
        recipientSessionId: recipient.sessionId,
        body: Buffer.from(body),
        postedAt,
        expiry,
      },
      select: { id: true },
    });
  }

  /** Whether the user is banned in any room (DM_REFUSE_ROOM_BANNED). */
  async bannedInAnyRoom(userId: number): Promise<boolean> {
    return (await this.prisma.userPermissionOverride.count({ where: { userId, banned: true }, take: 1 })) > 0;
  }

  /** When the server first saw the user (users.created, at ACTIVITY_GRANULARITY). */
  async firstSeen(userId: number): Promise<number | null> {
    return (await this.prisma.user.findUnique({ where: { id: userId }, select: { created: true } }))?.created ?? null;
  }

  /**
   * Whether the user has a post in any room (kept or deleted: they took part). messages has no
   * index on "user" alone, and one would cost every post a write: a probe of the (room, "user",
   * posted) index per room instead (rooms are few), so a user who never posted costs one index
   * look-up per room rather than a scan of every message.
   */
  async postedAnywhere(userId: number): Promise<boolean> {
    const [row] = await this.prisma.$queryRaw<Array<{ posted: boolean }>>`
      SELECT EXISTS (SELECT 1 FROM rooms r CROSS JOIN LATERAL (SELECT 1 FROM messages m WHERE m.room = r.id AND m."user" = ${userId} LIMIT 1) p) AS posted`;
    return row.posted;
  }

  /**
   * How many pending DMs the recipient has from senders they have no DM to, or null when they have
   * written to this sender (an answered conversation is never limited).
   */
  async unansweredPending(recipientId: number, senderId: number, now: number): Promise<number | null> {
    const rows = await this.prisma.$queryRaw<Array<{ answered: boolean; pending: number }>>`
      SELECT EXISTS (SELECT 1 FROM inbox WHERE sender = ${recipientId} AND recipient = ${senderId}) AS answered,
        (SELECT count(*) FROM inbox i WHERE i.recipient = ${recipientId} AND i.expiry > ${now}
           AND NOT EXISTS (SELECT 1 FROM inbox o WHERE o.sender = ${recipientId} AND o.recipient = i.sender))::int AS pending`;
    return rows[0].answered ? null : rows[0].pending;
  }

  async deleteTo(recipientId: number): Promise<number> {
    return (await this.prisma.inboxMessage.deleteMany({ where: { recipientId } })).count;
  }

  async deleteExpired(now: number): Promise<number> {
    return (await this.prisma.inboxMessage.deleteMany({ where: { expiry: { lt: now } } })).count;
  }

  /** A DM from another server's database, unless one of the same sender, recipient and time exists. */
  async importMessage(m: ImportedDirectMessage): Promise<number> {
    return this.prisma.$executeRaw`
      INSERT INTO inbox (recipient, sender, body, posted_at, expiry)
      SELECT ${m.recipientId}, ${m.senderId}, ${m.body}, ${m.postedAt}, ${m.expiry}
      WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE recipient = ${m.recipientId} AND sender = ${m.senderId} AND posted_at = ${m.postedAt})`;
  }
}
