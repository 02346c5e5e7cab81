import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { SERVER_KEY, type ServerKey } from '../config/server-key';
import type { AuthenticatedUser } from '../auth/auth.types';
import type { User } from '../generated/prisma/client';
import { blindedAbs, isBlindedId, normaliseSessionId } from './session-id';
import { systemSessionId } from './system-user';
import { UsersRepository } from './users.repository';

/** users.last_active is rewritten at most this often per user (it is touched on every request). */
const TOUCH_INTERVAL_SECONDS = 10;

const now = (): number => Date.now() / 1000;

function toAuthenticated(u: User): AuthenticatedUser {
  return { id: u.id, sessionId: u.sessionId, banned: u.banned, moderator: u.moderator, admin: u.admin, visibleMod: u.visibleMod };
}

/** User identity: rows, the system user and the 05→15 mapping of spec §2.4. */
@Injectable()
export class UsersService implements OnApplicationBootstrap {
  constructor(
    private readonly repo: UsersRepository,
    @Inject(SERVER_KEY) private readonly serverKey: ServerKey,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.repo.ensureSystemUser(this.systemSessionId);
  }

  get systemSessionId(): string {
    return systemSessionId(this.serverKey.publicKeyHex);
  }

  /**
   * The user behind a verified request (spec §3.2 steps 10 and 13): created on first sight (with
   * the needs_blinding import of spec §2.4 for 15 ids), last_active touched.
   */
  async getOrCreateAuthenticated(sessionId: string): Promise<AuthenticatedUser> {
    const id = normaliseSessionId(sessionId);
    const t = now();
    const existing = await this.repo.findBySessionId(id);
    if (existing) {
      if (existing.lastActive < t - TOUCH_INTERVAL_SECONDS) await this.repo.touch(existing.id, t, t - TOUCH_INTERVAL_SECONDS);
      return toAuthenticated(existing);
    }
    return toAuthenticated(await this.getOrCreate(id));
  }

  /** The user row for an id, created if absent; a new 15 user imports a pending 05 user (spec §2.4). */
  async getOrCreate(sessionId: string): Promise<User> {
    const id = normaliseSessionId(sessionId);
    const existing = await this.repo.findBySessionId(id);
    if (existing) return existing;
    return isBlindedId(id) ? this.repo.importOrCreateBlinded(id, blindedAbs(id)) : this.repo.upsert(id);
  }

  findBySessionId(sessionId: string): Promise<User | null> {
    return this.repo.findBySessionId(normaliseSessionId(sessionId));
  }

  findById(id: number): Promise<User | null> {
    return this.repo.findById(id);
  }
}
