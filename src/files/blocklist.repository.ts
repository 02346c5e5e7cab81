import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

export interface BlockedContentRow {
  sha256: Uint8Array;
  reason: string | null;
  added: number;
}

/** Postgres I/O of the attachment blocklist (issue 15 item 6). */
@Injectable()
export class BlocklistRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The entry for this digest, if it is blocked. */
  async find(sha256: Uint8Array): Promise<BlockedContentRow | null> {
    return this.prisma.blockedContent.findUnique({ where: { sha256: new Uint8Array(sha256) } });
  }

  /** Adds (or re-reasons) entries; returns the digests that were not blocked before. */
  async add(entries: Array<{ sha256: Uint8Array<ArrayBuffer>; reason: string | null }>, now: number): Promise<Uint8Array[]> {
    const added: Uint8Array[] = [];
    await this.prisma.$transaction(async (tx) => {
      for (const e of entries) {
        const before = await tx.blockedContent.findUnique({ where: { sha256: e.sha256 }, select: { sha256: true } });
        await tx.blockedContent.upsert({ where: { sha256: e.sha256 }, create: { sha256: e.sha256, reason: e.reason, added: now }, update: { reason: e.reason } });
        if (!before) added.push(e.sha256);
      }
    });
    return added;
  }

  async list(): Promise<BlockedContentRow[]> {
    return this.prisma.blockedContent.findMany({ orderBy: { added: 'asc' } });
  }

  /** True when it was there. */
  async remove(sha256: Uint8Array<ArrayBuffer>): Promise<boolean> {
    const { count } = await this.prisma.blockedContent.deleteMany({ where: { sha256 } });
    return count > 0;
  }
}
