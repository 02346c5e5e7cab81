import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RedisService } from '../redis/redis.service';
import { CONSUME_FUNCTION, refusalOf, windowsOf, type ConsumeReply, type StoredRefusal, type StoredTake } from '../rate-limit/rate-limit.store';

/** Outcome of spending a nonce (protocol §3.2 step 11, issue 9 item 5). */
export type NonceClaim = 'fresh' | 'retry' | 'reused';

/** A nonce claim and the rate windows that rode along with it. */
export interface ClaimOutcome {
  claim: NonceClaim;
  /** Whether the request runs: a fresh nonce, or the retry of a read (which runs again). */
  runs: boolean;
  /** The window that refused, when the request runs; null when all were taken (or it does not run). */
  refusal: StoredRefusal | null;
}

// Spends a nonce atomically. KEYS: nonce, reply, read-retry. ARGV: request fingerprint, nonce TTL,
// retry window, '1' for a read. A fresh nonce opens its retry window: a write marks its reply as
// pending (so a retry can tell "still running" from "gone"), a read (nothing is kept) a marker of
// its own. The same request again is a retry only while the window is open; after it, a reuse
// (hardening: a retried read was answered again for as long as its nonce was remembered, ≈ a day).
// Further KEYS and ARGV are rate windows (consume_windows) that a request that runs takes: its
// user's limit costs no round trip of its own (issue 18 item 4).
// Returns {1 fresh | 2 retry | 0 reused, runs 1|0, refused window | 0, retry ms}.
const CLAIM_NONCE = `${CONSUME_FUNCTION}
local claim = 0
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  if tonumber(ARGV[3]) > 0 then
    if ARGV[4] == '1' then redis.call('SET', KEYS[3], '1', 'EX', ARGV[3]) else redis.call('SET', KEYS[2], 'p', 'EX', ARGV[3]) end
  end
  claim = 1
elseif redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then
  claim = 2
end
local runs = (claim == 1 or (claim == 2 and ARGV[4] == '1')) and 1 or 0
if runs == 1 and #KEYS > 3 then
  local taken = consume_windows({unpack(KEYS, 4)}, {unpack(ARGV, 5)})
  return {claim, runs, taken[1], taken[2]}
end
return {claim, runs, 0, 0}`;

const CLAIMS: readonly NonceClaim[] = ['reused', 'fresh', 'retry'];

const PENDING = 0x70; // 'p'

/** A kept reply: the bytes handed back, or a reason there are none. */
export type KeptReply = { state: 'kept'; reply: Buffer } | { state: 'pending' | 'not-kept' | 'gone' };

/**
 * Redis I/O of authentication: spent nonces and kept replies for retries. Redis is
 * shared by every replica, so a nonce spent on one is spent on all.
 */
@Injectable()
export class AuthStore {
  private readonly sha = new Map<string, string>();

  constructor(private readonly redis: RedisService) {}

  /**
   * Records the nonce with a fingerprint of the signed request. The same fingerprint again within
   * `retryWindow` seconds is a retry of that request; anything else under the same nonce is a reuse.
   * `read`: nothing will be kept for its retries (they run again). `windows`: rate windows the
   * request takes if it runs, in the same script.
   */
  async claimNonce(nonceHex: string, fingerprint: Buffer, nonceTtl: number, retryWindow: number, read: boolean, windows: readonly StoredTake[]): Promise<ClaimOutcome> {
    // One keyed hash for the three keys (it is per request on the poll path, issue 18 item 4).
    const p = this.redis.pseudonym(nonceHex);
    const limits = windowsOf(windows);
    const keys = [this.redis.key('nonce', p), this.redis.key('reply', p), this.redis.key('readretry', p), ...limits.keys];
    const args = [fingerprint, nonceTtl, retryWindow, read ? '1' : '0', ...limits.args];
    const [claim, runs, refused, retryMs] = (await this.script(CLAIM_NONCE, keys, args)) as [number, number, ...ConsumeReply];
    return { claim: CLAIMS[claim], runs: runs === 1, refusal: refusalOf([refused, retryMs]) };
  }

  /** Keeps the reply of a request for its retries; an empty value records that it was too large. */
  async keepReply(nonceHex: string, reply: Buffer | null, ttl: number): Promise<void> {
    await this.redis.client.set(this.replyKey(nonceHex), reply ?? Buffer.alloc(0), 'EX', ttl);
  }

  /** Forgets a nonce whose request failed on our side (5xx), so the client's retry runs again. */
  async release(nonceHex: string): Promise<void> {
    await this.redis.client.del(this.nonceKey(nonceHex), this.replyKey(nonceHex));
  }

  async readReply(nonceHex: string): Promise<KeptReply> {
    const value = await this.redis.client.getBuffer(this.replyKey(nonceHex));
    if (value === null) return { state: 'gone' };
    if (value.length === 0) return { state: 'not-kept' };
    if (value.length === 1 && value[0] === PENDING) return { state: 'pending' };
    return { state: 'kept', reply: value };
  }

  private nonceKey(nonceHex: string): string {
    return this.redis.key('nonce', this.redis.pseudonym(nonceHex));
  }

  private replyKey(nonceHex: string): string {
    return this.redis.key('reply', this.redis.pseudonym(nonceHex));
  }

  /** EVALSHA with a fallback to EVAL when the server has not cached the script (first use, restart). */
  private async script(lua: string, keys: string[], args: Array<string | number | Buffer>): Promise<unknown> {
    let sha = this.sha.get(lua);
    if (!sha) {
      sha = createHash('sha1').update(lua).digest('hex');
      this.sha.set(lua, sha);
    }
    try {
      return await this.redis.client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.redis.client.eval(lua, keys.length, ...keys, ...args);
    }
  }
}
