import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { Prisma } from '../generated/prisma/client';
import type { AuditEntry, AuditFilter, AuditRecord } from './audit.types';

type Db = PrismaService | Prisma.TransactionClient;

/** I/O of audit_log (issue 14). */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(at: number, entries: AuditEntry[], db: Db = this.prisma): Promise<void> {
    await db.auditLog.createMany({
      data: entries.map((e) => ({
        at,
        actor: e.actor,
        action: e.action,
        roomId: e.room?.id ?? null,
        roomToken: e.room?.token ?? null,
        target: e.target ?? null,
        reason: e.reason ?? null,
        details: e.details ?? Prisma.DbNull,
      })),
    });
  }

  async list(filter: AuditFilter, limit: number): Promise<AuditRecord[]> {
    const rows = await this.prisma.auditLog.findMany({
      where: {
        roomToken: filter.room === undefined ? undefined : { equals: filter.room, mode: 'insensitive' },
        actor: filter.actor,
        target: filter.target,
        action: filter.action,
        at: filter.since === undefined && filter.until === undefined ? undefined : { gte: filter.since, lte: filter.until },
      },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return rows.map((r) => ({ id: Number(r.id), at: r.at, actor: r.actor, action: r.action, room: r.roomToken, target: r.target, reason: r.reason, details: r.details }));
  }

  /** Deletes entries older than `before`; returns how many. */
  async prune(before: number): Promise<number> {
    return (await this.prisma.auditLog.deleteMany({ where: { at: { lt: before } } })).count;
  }
}
