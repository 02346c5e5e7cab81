// The JSON a plugin receives and answers (issue 16), the same for worker and webhook plugins.
// Versioned: a change that could break a plugin gets a new PLUGIN_SCHEMA_VERSION (docs/plugins.md).
import { z } from 'zod';

export const PLUGIN_SCHEMA_VERSION = 1;

const sessionId = z.string().regex(/^(05|15|25)[0-9a-f]{64}$/, 'a 66-hex-digit session id');
const roomToken = z.string().regex(/^[\w-]{1,64}$/, 'a room token');

/** What standing a user has in a room, when the server knows it (issue 14). */
export const standingSchema = z.object({ moderator: z.boolean(), trusted: z.boolean(), new_user: z.boolean() });

/** Events whose answer decides what happens to the request (called with a deadline, in order). */
export const DECISION_EVENTS = ['before-post', 'before-reaction', 'before-upload', 'before-bot-dm'] as const;
/** Events told after the fact (queued; never blocking a request). */
export const NOTIFICATION_EVENTS = ['posted', 'edited', 'deleted', 'reacted', 'first-request-in-room', 'banned', 'unbanned', 'report'] as const;
export const EVENT_TYPES = [...DECISION_EVENTS, ...NOTIFICATION_EVENTS] as const;

export type DecisionEventType = (typeof DECISION_EVENTS)[number];
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];
export type EventType = (typeof EVENT_TYPES)[number];

/** The fields each event carries besides `version`, `id`, `type` and `at`. */
export interface EventFields {
  'before-post': {
    room: string;
    author: string;
    /** The message's text as clients show it (protocol §7.6); null when it cannot be read. */
    text: string | null;
    /** `text` folded as the content rules fold it (NFKC, confusables, lower case), so look-alike spellings compare equal */
    folded: string | null;
    display_name: string | null;
    /** null when the server does not know it on this path */
    standing: z.infer<typeof standingSchema> | null;
    /** a moderator or admin of the room */
    moderator: boolean;
    /** ids of the room files the post attaches */
    files: number[];
    whisper: boolean;
  };
  'before-reaction': { room: string; user: string; message_id: number; reaction: string };
  /** `room` null: an upload to the file server (protocol §12), whose uploader is anonymous. */
  'before-upload': { room: string | null; user: string | null; sha256: string; size: number };
  /** A DM to one of the server's bots, opened with the bot's key (a reply reaches it here). */
  'before-bot-dm': { bot: string; sender: string; sender_session_id: string; text: string; display_name: string };
  posted: { room: string; author: string; message_id: number; seqno: number; text: string | null; whisper: boolean; held: boolean };
  edited: { room: string; author: string; message_id: number; text: string | null };
  deleted: { room: string; message_id: number; author: string; by: string };
  reacted: { room: string; user: string; message_id: number; reaction: string };
  'first-request-in-room': { room: string; user: string };
  /** `room` null: server-wide. `timeout` null: until lifted. */
  banned: { room: string | null; user: string; by: string; timeout: number | null; shadow: boolean };
  unbanned: { room: string | null; user: string; by: string };
  report: { room: string; reporter: string; message_id: number; reason: string | null };
}

export type PluginEvent<T extends EventType = EventType> = { [K in T]: { version: number; id: string; type: K; at: number } & EventFields[K] }[T];

/** Decisions a plugin answers; `refuse` carries the reason the client is shown (403). */
export const DECISIONS = ['allow', 'refuse', 'silent', 'hold'] as const;
export type Decision = (typeof DECISIONS)[number];
/** What a plugin that times out or fails is taken to have answered (per plugin). */
export const DEFAULT_DECISIONS = ['allow', 'hold'] as const;
export type DefaultDecision = (typeof DEFAULT_DECISIONS)[number];

const text = z.string().min(1).max(10_000);
const timeout = z.number().positive().max(1e9).nullish();
/** Room scope of a ban or mute: one room, or `global: true` (exactly one, checked below). */
const SCOPED = ['ban', 'unban', 'mute', 'unmute'] as const;
const scope = { room: roomToken.optional(), global: z.literal(true).optional() };

/** Actions a plugin may ask for in any answer, each checked against the permissions it was granted. */
export const actionSchema = z
  .discriminatedUnion('action', [
    z.object({ action: z.literal('post'), room: roomToken, text, whisper_to: sessionId.nullish(), whisper_mods: z.boolean().optional() }),
    z.object({ action: z.literal('dm'), to: sessionId, text }),
    z.object({ action: z.literal('react'), room: roomToken, message_id: z.number().int().positive(), reaction: z.string().min(1).max(64) }),
    z.object({ action: z.literal('delete'), room: roomToken, message_id: z.number().int().positive() }),
    /** A held or reported post: approve publishes it (dismissing reports), reject removes it (issue 14). */
    z.object({ action: z.literal('approve'), room: roomToken, message_id: z.number().int().positive() }),
    z.object({ action: z.literal('reject'), room: roomToken, message_id: z.number().int().positive() }),
    z.object({ action: z.literal('ban'), user: sessionId, timeout, ...scope }),
    z.object({ action: z.literal('unban'), user: sessionId, ...scope }),
    /** Refuses the user's writes for `duration` seconds, with the reason they are shown (issue 14 mutes). */
    z.object({ action: z.literal('mute'), user: sessionId, duration: z.number().positive().max(1e9), reason: z.string().min(1).max(200).nullish(), ...scope }),
    z.object({ action: z.literal('unmute'), user: sessionId, ...scope }),
    /** A decision the plugin made that changed nothing by itself (a wrong captcha answer): an audit entry under its name. */
    z.object({ action: z.literal('note'), user: sessionId.nullish(), room: roomToken.nullish(), text: z.string().min(1).max(200) }),
    z.object({
      action: z.literal('permissions'),
      room: roomToken,
      user: sessionId,
      read: z.boolean().nullish(),
      write: z.boolean().nullish(),
      upload: z.boolean().nullish(),
      /** seconds until the change is undone (protocol §6.7 futures) */
      timeout,
    }),
  ])
  .refine(
    (a) => {
      const scoped = a as { action: string; room?: string; global?: true };
      return !(SCOPED as readonly string[]).includes(scoped.action) || (scoped.room === undefined) !== (scoped.global === undefined);
    },
    {
      message: 'a ban, unban, mute or unmute needs exactly one of room and global',
    },
  );
export type PluginAction = z.infer<typeof actionSchema>;
export type ActionName = PluginAction['action'];

/** The permission an action needs: `ban` covers unban, `mute` unmute, `review` approve and reject. */
export const PERMISSIONS = ['post', 'dm', 'react', 'delete', 'ban', 'mute', 'permissions', 'review', 'note'] as const;
export type PluginPermission = (typeof PERMISSIONS)[number];
export function permissionFor(action: ActionName): PluginPermission {
  if (action === 'unban') return 'ban';
  if (action === 'unmute') return 'mute';
  if (action === 'approve' || action === 'reject') return 'review';
  return action;
}

export const ACTIONS_MAX = 16;

/** An answer to a decision event. Unknown fields are ignored, so a plugin may add its own. */
export const decisionAnswerSchema = z
  .object({
    decision: z.enum(DECISIONS),
    reason: z.string().min(1).max(500).optional(),
    actions: z.array(actionSchema).max(ACTIONS_MAX).optional(),
  })
  .refine((a) => a.decision !== 'refuse' || a.reason !== undefined, { message: 'a refuse decision needs a reason', path: ['reason'] });
export type DecisionAnswer = z.infer<typeof decisionAnswerSchema>;

/** An answer to a notification: nothing, or actions. */
export const notificationAnswerSchema = z.object({ actions: z.array(actionSchema).max(ACTIONS_MAX).optional() }).nullish();
export type NotificationAnswer = z.infer<typeof notificationAnswerSchema>;

export function isDecisionEvent(type: EventType): type is DecisionEventType {
  return (DECISION_EVENTS as readonly string[]).includes(type);
}

/** The strictest of two decisions: refuse > silent > hold > allow (a hold can still be approved; silent is final). */
export function stricter(a: Decision, b: Decision): Decision {
  const rank: Record<Decision, number> = { allow: 0, hold: 1, silent: 2, refuse: 3 };
  return rank[b] > rank[a] ? b : a;
}
