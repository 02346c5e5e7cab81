import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

/** The console's sign-in links and sessions (tables console_logins, console_sessions). */
@Injectable()
export class ConsoleRepository {
  constructor(private readonly prisma: PrismaService) {}

  async addLogin(tokenHash: Uint8Array, created: number, expires: number): Promise<void> {
    await this.prisma.consoleLogin.create({ data: { tokenHash: Buffer.from(tokenHash), created, expires } });
  }

  /** Deletes the link and says whether it existed unexpired: one statement, so two redeemers cannot both win. */
  async takeLogin(tokenHash: Uint8Array, now: number): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<Array<{ expires: number }>>`DELETE FROM console_logins WHERE token_hash = ${Buffer.from(tokenHash)} RETURNING expires`;
    return rows.length === 1 && rows[0].expires > now;
  }

  async addSession(tokenHash: Uint8Array, csrf: string, created: number, expires: number): Promise<void> {
    await this.prisma.consoleSession.create({ data: { tokenHash: Buffer.from(tokenHash), csrf, created, expires } });
  }

  async session(tokenHash: Uint8Array, now: number): Promise<{ csrf: string; expires: number } | null> {
    return this.prisma.consoleSession.findFirst({ where: { tokenHash: Buffer.from(tokenHash), expires: { gt: now } }, select: { csrf: true, expires: true } });
  }

  async deleteSession(tokenHash: Uint8Array): Promise<void> {
    await this.prisma.consoleSession.deleteMany({ where: { tokenHash: Buffer.from(tokenHash) } });
  }

  /** Expired links and sessions are useless; dropping them keeps both tables to the live ones. */
  async purgeExpired(now: number): Promise<void> {
    await this.prisma.consoleLogin.deleteMany({ where: { expires: { lte: now } } });
    await this.prisma.consoleSession.deleteMany({ where: { expires: { lte: now } } });
  }
}
