import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import { actingAs, actorOf } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../core/clock';
import { MetricsService } from '../metrics/metrics.service';
import { BlocklistRepository } from './blocklist.repository';
import { FileExpiryService } from './file-expiry.service';
import { ObjectStore, type ContentFingerprint } from './object-store.service';

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
/** Longest reason kept with an entry: it is shown to uploaders in the 403. */
export const BLOCKLIST_REASON_MAX = 200;

export interface BlocklistEntry {
  sha256: string;
  reason: string | null;
  added: number;
}

/** What adding one digest did to stored copies. */
export interface Quarantine {
  sha256: string;
  /** False when the digest was blocked already (its copies were quarantined then). */
  added: boolean;
  objects: number;
  roomFiles: number;
  serverFiles: number;
}

/** A digest as given by an operator: 64 hex digits (any case) → 32 bytes; anything else is a 400. */
export function parseSha256(text: string): Uint8Array<ArrayBuffer> {
  const hex = text.trim();
  if (!SHA256_HEX.test(hex)) throw new BadRequestException(`Invalid SHA-256 '${text}': expected 64 hex digits`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
const hexOf = (digest: Uint8Array): string => Buffer.from(digest).toString('hex');

function parseReason(text: string | undefined | null): string | null {
  const reason = text?.trim() ?? '';
  if (reason.length > BLOCKLIST_REASON_MAX) throw new BadRequestException(`Reason too long: at most ${BLOCKLIST_REASON_MAX} characters`);
  return reason || null;
}

/**
 * A blocklist file: one digest a line, optionally followed by a reason (`HASH reason…`, which also
 * reads `sha256sum` output, the file name becoming the reason); blank lines and `#` comments are
 * skipped. A bad line is a 400 naming its line number, and nothing is added.
 */
export function parseBlocklistFile(text: string): Array<{ sha256: string; reason: string | null }> {
  const entries: Array<{ sha256: string; reason: string | null }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [hash, ...rest] = line.split(/\s+/);
    try {
      parseSha256(hash);
      entries.push({ sha256: hash, reason: parseReason(rest.join(' ').replace(/^\*/, '')) });
    } catch (err) {
      throw new BadRequestException(`Line ${i + 1}: ${(err as Error).message}`);
    }
  });
  return entries;
}

/**
 * The attachment blocklist (issue 15 item 6): SHA-256 digests no upload may store, checked on every
 * room and file-server upload; adding a digest quarantines what is stored with that content.
 */
@Injectable()
export class BlocklistService {
  constructor(
    private readonly repo: BlocklistRepository,
    private readonly objects: ObjectStore,
    private readonly expiry: FileExpiryService,
    private readonly metrics: MetricsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Every upload's check, before anything is stored: a blocked content is a 403 with the entry's reason. */
  async refuseBlocked(fingerprint: ContentFingerprint): Promise<void> {
    const hit = await this.repo.find(fingerprint.sha256);
    if (!hit) return;
    this.metrics.ruleHits.inc({ rule: 'blocklist', action: 'refuse' });
    await actingAs('rule:blocklist', () => this.audit.record({ actor: actorOf(), action: 'rule.hit', target: hexOf(fingerprint.sha256), details: { action: 'refuse' } }));
    throw new ForbiddenException(`This file is blocked on this server${hit.reason ? `: ${hit.reason}` : ''}`);
  }

  /**
   * Blocks the digests and quarantines every stored copy: the files holding it 404 from now on, its
   * objects are deleted from storage at once, and the sweep drops the rows and their references.
   */
  async add(entries: Array<{ sha256: string; reason?: string | null }>): Promise<Quarantine[]> {
    const parsed = entries.map((e) => ({ sha256: parseSha256(e.sha256), reason: parseReason(e.reason) }));
    const now = this.clock.seconds();
    const added = new Set((await this.repo.add(parsed, now)).map(hexOf));
    const results: Quarantine[] = [];
    for (const { sha256 } of parsed) {
      const hex = hexOf(sha256);
      const hit = await this.objects.quarantine(sha256, now);
      if (hit.objects > 0) this.metrics.ruleHits.inc({ rule: 'blocklist', action: 'quarantine' }, hit.objects);
      results.push({ sha256: hex, added: added.has(hex), ...hit });
    }
    // Operators act here (CLI or console): the audit log names which.
    await this.audit.record(
      parsed.map(({ sha256, reason }, i) => ({
        actor: actorOf(),
        action: 'blocklist.add' as const,
        target: hexOf(sha256),
        reason,
        details: { added: results[i].added, objects: results[i].objects, roomFiles: results[i].roomFiles, serverFiles: results[i].serverFiles },
      })),
    );
    if (results.some((r) => r.objects > 0)) await this.expiry.sweep();
    return results;
  }

  async list(): Promise<BlocklistEntry[]> {
    return (await this.repo.list()).map((r) => ({ sha256: hexOf(r.sha256), reason: r.reason, added: r.added }));
  }

  /** Blocks the SHA-256 of this content (a file the operator has at hand; the bytes are not kept). */
  async addContent(content: Uint8Array, reason?: string | null): Promise<Quarantine> {
    const [result] = await this.add([{ sha256: hexOf(this.objects.fingerprint(content).sha256), reason }]);
    return result;
  }

  /** Unblocks a digest (quarantined copies stay deleted); false when it was not blocked. */
  async remove(sha256: string): Promise<boolean> {
    const digest = parseSha256(sha256);
    const removed = await this.repo.remove(digest);
    if (removed) await this.audit.record({ actor: actorOf(), action: 'blocklist.remove', target: hexOf(digest) });
    return removed;
  }
}
