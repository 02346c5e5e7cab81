/**
 * Every kind of key this server writes to Redis, after REDIS_PREFIX, and what follows the kind.
 * Keys are built only through redisKey() (RedisService.key, the BullMQ prefix), so this list is the
 * whole keyspace: docs/privacy.md describes each pattern and test/unit/privacy/inventory.spec.ts
 * fails when a kind is added here without its line there. A part that would name a user, a request
 * or a moment of one user's activity is a keyed hash (RedisService.pseudonym), never the id itself.
 */
export const REDIS_KEY_PATTERNS = {
  /** A spent X-SOGS-Nonce (protocol §3.2 step 11); value: a 16-byte fingerprint of the signed request. */
  nonce: 'nonce:<pseudonym of the nonce>',
  /** A write's reply kept for its retries (RETRY_REPLY_WINDOW). */
  reply: 'reply:<pseudonym of the nonce>',
  /** A read's retry window marker. */
  readretry: 'readretry:<pseudonym of the nonce>',
  /** A rate-limit counter or sliding log: the rule name, then the pseudonym of its subject (a rolling window's counters end in their window number). */
  rl: 'rl:<rule>:<pseudonym of the subject>[:<window number>]',
  /** That a policy rule's refusal of one subject was audit-logged (AUDIT_REFUSAL_INTERVAL); value '1'. */
  auditonce: 'auditonce:<pseudonym of the rule, room and subject>',
  /** A worker plugin's shared state (docs/plugins.md "State"): the plugin's name, then the pseudonym of its own key; value JSON, a counter, or a windowed list. */
  pstate: 'pstate:<plugin>:<pseudonym of the plugin and its key>',
  /** BullMQ's queues (job ids, state, payloads), under BullMQ's own key layout. */
  bull: 'bull:<queue>:<BullMQ key>',
} as const;

export type RedisKeyKind = keyof typeof REDIS_KEY_PATTERNS;

/** The key `prefix` + kind + parts, ':'-joined: the one place a Redis key is spelled. */
export function redisKey(prefix: string, kind: RedisKeyKind, ...parts: string[]): string {
  return prefix + [kind, ...parts].join(':');
}
