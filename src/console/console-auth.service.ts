import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Clock } from '../core/clock';
import { CONSOLE_PATH } from './console-http';
import { ConsoleRepository } from './console.repository';

/** The cookie that carries a console session; scoped to the console's paths. */
export const SESSION_COOKIE = 'scs_console';

export interface ConsoleSession {
  /** The synchronizer token every form of this session carries (CSRF). */
  csrf: string;
  expires: number;
}

const token = () => randomBytes(32).toString('base64url');
const hash = (text: string) => new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
/** Tokens are 43 base64url characters; anything else is not worth a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Sign-in without a password store: `community-server console login` makes a random one-time link,
 * redeeming it (once, before it expires) starts a session whose random token is the cookie. The
 * CLI and the server are different processes, so both live in PostgreSQL, hashed.
 */
@Injectable()
export class ConsoleAuthService {
  constructor(
    private readonly repo: ConsoleRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** A new sign-in link valid for `ttlSeconds` (default CONSOLE_LOGIN_TTL, at most CONSOLE_LOGIN_MAX_TTL). */
  async createLogin(ttlSeconds: number = this.config.CONSOLE_LOGIN_TTL): Promise<{ url: string; expires: number }> {
    if (!(ttlSeconds > 0) || ttlSeconds > this.config.CONSOLE_LOGIN_MAX_TTL) {
      throw new BadRequestException(`A sign-in link lasts at most CONSOLE_LOGIN_MAX_TTL (${this.config.CONSOLE_LOGIN_MAX_TTL} s)`);
    }
    const now = this.clock.seconds();
    const secret = token();
    await this.repo.purgeExpired(now);
    await this.repo.addLogin(hash(secret), now, now + ttlSeconds);
    return { url: `${this.consoleUrl()}/login?token=${secret}`, expires: now + ttlSeconds };
  }

  /** Redeems a link: a new session (its cookie token and CSRF token), or null when the link is unknown, used or expired. */
  async redeem(loginToken: string): Promise<{ cookie: string; session: ConsoleSession } | null> {
    if (!TOKEN_SHAPE.test(loginToken)) return null;
    const now = this.clock.seconds();
    if (!(await this.repo.takeLogin(hash(loginToken), now))) return null;
    const cookie = token();
    const session = { csrf: token(), expires: now + this.config.CONSOLE_SESSION_TTL };
    await this.repo.addSession(hash(cookie), session.csrf, now, session.expires);
    return { cookie, session };
  }

  /** The live session a cookie token names, or null (unknown, signed out or expired). */
  async session(cookie: string | undefined): Promise<ConsoleSession | null> {
    if (!cookie || !TOKEN_SHAPE.test(cookie)) return null;
    return this.repo.session(hash(cookie), this.clock.seconds());
  }

  async signOut(cookie: string): Promise<void> {
    if (TOKEN_SHAPE.test(cookie)) await this.repo.deleteSession(hash(cookie));
  }

  /** Where the console is reached: CONSOLE_URL, else the admin listener's own address (loopback by default). */
  consoleUrl(): string {
    if (this.config.CONSOLE_URL) return `${this.config.CONSOLE_URL.replace(/\/+$/, '')}${CONSOLE_PATH}`;
    const host = ['0.0.0.0', '::', ''].includes(this.config.ADMIN_HOST) ? '127.0.0.1' : this.config.ADMIN_HOST;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.config.ADMIN_PORT}${CONSOLE_PATH}`;
  }
}
