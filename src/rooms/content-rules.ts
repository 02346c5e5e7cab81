// Content rules of a room (issue 15 item 5). Pure: the room's policy, how it is validated, and what
// it decides about one message's text.
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import type { AppConfig } from '../config/config';
import { foldText, profanityMatcher } from './message-filter';

/**
 * What a rule does when it matches: refuse (403 with the reason), silent (stored filtered, as
 * §9.2's silent filters) or hold (stored hidden until a moderator reviews it, issue 14's held posts).
 */
export const RULE_ACTIONS = ['refuse', 'silent', 'hold'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];
/** What happens to a message whose text cannot be read (neither `Content` nor `Envelope`). */
export const UNREADABLE_ACTIONS = ['allow', ...RULE_ACTIONS] as const;
export type UnreadableAction = (typeof UNREADABLE_ACTIONS)[number];

/** Longest regular expression a room may set, and the most it may set. */
export const REGEX_MAX_LENGTH = 200;
export const REGEX_MAX_COUNT = 20;
export const WORDS_MAX_COUNT = 1000;
const DAY = 86_400;

const action = z.enum(RULE_ACTIONS);

/**
 * A pattern a room may run on every post: bounded in length, compilable as a Unicode regex, and of
 * star height 1 (safe-regex2): no nested quantifiers, so matching is never exponential; it runs on
 * at most the room's longest allowed text (`matchInput`).
 */
export function checkPattern(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > REGEX_MAX_LENGTH) return `must be 1 to ${REGEX_MAX_LENGTH} characters`;
  try {
    new RegExp(pattern, 'iu');
  } catch (err) {
    return `is not a valid regular expression: ${(err as Error).message}`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'may not use back-references';
  if (!safeRegex(pattern)) return 'nests repetition (like (a+)+), which can take exponential time';
  return null;
}

/** A room's own rules (rooms.policy), every field optional: a missing one takes the server default. */
export const roomContentPolicySchema = z
  .object({
    maxChars: z.object({ limit: z.number().int().min(0).max(1_000_000), action }).strict(),
    mentions: z.object({ limit: z.number().int().min(0).max(10_000), action }).strict(),
    words: z.object({ list: z.array(z.string().min(1).max(100)).max(WORDS_MAX_COUNT), action }).strict(),
    patterns: z
      .object({
        list: z
          .array(z.string())
          .max(REGEX_MAX_COUNT)
          .superRefine((list, ctx) => {
            for (const p of list) {
              const problem = checkPattern(p);
              if (problem) ctx.addIssue({ code: 'custom', message: `Pattern '${p}' ${problem}` });
            }
          }),
        action,
      })
      .strict(),
    unreadable: z.enum(UNREADABLE_ACTIONS),
    /** Links (a URL in the body, or a link preview) from users who are not trusted (issue 14 standing). */
    links: z.enum(UNREADABLE_ACTIONS),
    /** Attachments from restricted new users (issue 14 standing). */
    newUserAttachments: z.enum(UNREADABLE_ACTIONS),
    /** Slow mode (issue 15 item 1): at most `posts` per `seconds` per user here, in place of RATE_LIMIT_POSTS; moderators exempt (0 = no limit). */
    slowMode: z.object({ posts: z.number().int().min(0).max(10_000), seconds: z.number().int().min(1).max(DAY) }).strict(),
    /** Quotas per user in this room over rolling windows (issue 15 item 3); moderators exempt, 0 = none. */
    quotas: z
      .object({
        postsPerDay: z.number().int().min(0).max(1_000_000),
        uploadBytesPerDay: z.number().int().min(0).max(1e15),
        reactionsPerMinute: z.number().int().min(0).max(10_000),
      })
      .strict(),
  })
  .partial()
  .strict();
export type RoomContentPolicy = z.infer<typeof roomContentPolicySchema>;

/** The rules in force in a room: its own, else the server's defaults (a limit of 0 / an empty list = off). */
export type ContentPolicy = Required<RoomContentPolicy>;

/** The server's defaults (config CONTENT_*); regular expressions are per room only. */
export function defaultPolicy(config: AppConfig): ContentPolicy {
  return {
    maxChars: { limit: config.CONTENT_MAX_CHARS, action: config.CONTENT_MAX_CHARS_ACTION },
    mentions: { limit: config.CONTENT_MAX_MENTIONS, action: config.CONTENT_MENTIONS_ACTION },
    words: {
      list: config.CONTENT_WORDS.split(',')
        .map((w) => w.trim())
        .filter(Boolean),
      action: config.CONTENT_WORDS_ACTION,
    },
    patterns: { list: [], action: 'refuse' },
    unreadable: config.CONTENT_UNREADABLE,
    links: config.CONTENT_LINKS_UNTRUSTED,
    newUserAttachments: config.CONTENT_NEW_USER_ATTACHMENTS,
    slowMode: { posts: config.RATE_LIMIT_POSTS, seconds: Math.max(1, Math.round(config.RATE_LIMIT_WINDOW)) },
    quotas: {
      postsPerDay: config.QUOTA_ROOM_POSTS_PER_DAY,
      uploadBytesPerDay: config.QUOTA_ROOM_UPLOAD_BYTES_PER_DAY,
      reactionsPerMinute: config.QUOTA_ROOM_REACTIONS_PER_MINUTE,
    },
  };
}

export function effectivePolicy(room: RoomContentPolicy, defaults: ContentPolicy): ContentPolicy {
  return { ...defaults, ...room };
}

/** Session mentions in a body: "@" and a Session id (05…, 15…, 25…). */
const MENTION = /@[0-9a-f]{2}[0-9a-f]{64}/gi;

/** A link as clients make one clickable: a scheme, or www., before something. */
const LINK = /(?:\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.)\S/i;

/** The text of a message a rule reads: its body and its sender's display name; what it carries (attachments: uploads it names, or attachment pointers; link previews). */
export interface RuleText {
  body: string;
  displayName: string;
  attachments?: number;
  previews?: number;
}

/** What the rules about new and untrusted users need to know of the author (src/moderation/standing.service.ts predicates). */
export interface AuthorStanding {
  untrusted: boolean;
  restrictedNewUser: boolean;
}

/** A rule that matched: its name (metrics, audit "rule:NAME"), what it does, and the reason a refusal gives. */
export interface RuleHit {
  rule: 'max_chars' | 'mentions' | 'words' | 'patterns' | 'unreadable' | 'links' | 'new_user_attachments';
  action: RuleAction;
  reason: string;
}

/** One room's rules, compiled once for every post it sees. */
export class CompiledContentRules {
  private readonly words: ((text: string) => boolean) | null;
  private readonly patterns: RegExp[];
  /** Patterns read at most this much text (the room's character limit, or a fixed bound). */
  private readonly matchInput: number;

  constructor(
    readonly policy: ContentPolicy,
    patternInputMax: number,
  ) {
    this.words = policy.words.list.length ? profanityMatcher(policy.words.list) : null;
    this.patterns = policy.patterns.list.map((p) => new RegExp(p, 'iu'));
    this.matchInput = policy.maxChars.limit > 0 ? Math.min(policy.maxChars.limit, patternInputMax) : patternInputMax;
  }

  /** True when no rule can match any text: the post path then reads nothing. */
  get idle(): boolean {
    const p = this.policy;
    return (
      p.maxChars.limit === 0 &&
      p.mentions.limit === 0 &&
      !this.words &&
      this.patterns.length === 0 &&
      p.unreadable === 'allow' &&
      p.links === 'allow' &&
      p.newUserAttachments === 'allow'
    );
  }

  /** True when a rule about the author's standing applies to this text: only then is standing looked up. */
  needsStanding(text: RuleText | null): boolean {
    if (text === null) return false;
    return (this.policy.links !== 'allow' && hasLink(text)) || (this.policy.newUserAttachments !== 'allow' && (text.attachments ?? 0) > 0);
  }

  /**
   * The first rule the text breaks, or null; `text` null = the message could not be read.
   * `author`: the author's standing, given when `needsStanding` (else those rules do not apply).
   */
  check(text: RuleText | null, author: AuthorStanding | null = null): RuleHit | null {
    const p = this.policy;
    if (text === null) return p.unreadable === 'allow' ? null : { rule: 'unreadable', action: p.unreadable, reason: 'This room only accepts messages it can read' };
    const chars = [...text.body].length;
    if (p.maxChars.limit > 0 && chars > p.maxChars.limit) {
      return { rule: 'max_chars', action: p.maxChars.action, reason: `Message too long: at most ${p.maxChars.limit} characters in this room` };
    }
    if (p.mentions.limit > 0 && (text.body.match(MENTION)?.length ?? 0) > p.mentions.limit) {
      return { rule: 'mentions', action: p.mentions.action, reason: `Too many mentions: at most ${p.mentions.limit} in one message in this room` };
    }
    if (this.words && (this.words(text.body) || this.words(text.displayName))) {
      return { rule: 'words', action: p.words.action, reason: 'Message refused: it uses a word this room does not allow' };
    }
    if (this.patterns.length) {
      const folded = foldText(text.body.slice(0, this.matchInput));
      const raw = text.body.slice(0, this.matchInput);
      if (this.patterns.some((re) => re.test(raw) || re.test(folded))) {
        return { rule: 'patterns', action: p.patterns.action, reason: 'Message refused: it matches a pattern this room does not allow' };
      }
    }
    if (author?.untrusted && p.links !== 'allow' && hasLink(text)) {
      return { rule: 'links', action: p.links, reason: 'Links are only allowed from trusted members of this room' };
    }
    if (author?.restrictedNewUser && p.newUserAttachments !== 'allow' && (text.attachments ?? 0) > 0) {
      return { rule: 'new_user_attachments', action: p.newUserAttachments, reason: 'Attachments are not allowed from new members of this room yet' };
    }
    return null;
  }
}

function hasLink(text: RuleText): boolean {
  return (text.previews ?? 0) > 0 || LINK.test(text.body);
}
