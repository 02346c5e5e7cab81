// A room's moderation settings (issue 14 item 7): each is the room's own value (a rooms column,
// NULL = not set) over the server default of the config. Pure. The ONE place that resolves them:
// every rule reads its setting from roomModeration(), and a new setting is added here (the
// interface, the schema of a change, and the resolution).
import { z } from 'zod';
import type { AppConfig } from '../config/config';
import type { Room } from '../generated/prisma/client';

/** The settings in force in a room. */
export interface RoomModeration {
  /** Fewer accepted posts in the room than this: a new user (0 = posts never make anyone new). */
  newUserPosts: number;
  /** First seen in the room less than this many seconds ago: a new user (0 = off). */
  newUserAge: number;
  /** Whose posts are held for a moderator (src/rooms/review.service.ts). */
  heldMode: HeldMode;
  /** Counted reports from distinct users that hide a message. */
  reportThreshold: number;
  /** A moderator's reaction with these decides a held or reported message; a user's report emoji reaction is a report. */
  approveEmoji: string;
  rejectEmoji: string;
  reportEmoji: string;
}

export const HELD_MODES = ['off', 'new', 'untrusted', 'all'] as const;
/** off; new = restricted new users (isRestrictedNewUser); untrusted (isUntrusted); all = everyone but moderators. */
export type HeldMode = (typeof HELD_MODES)[number];

/** The rooms columns behind the settings (Prisma field names, the same keys as RoomModeration). */
export type RoomModerationColumns = Pick<Room, 'newUserPosts' | 'newUserAge' | 'heldMode' | 'reportThreshold' | 'approveEmoji' | 'rejectEmoji' | 'reportEmoji'>;

type ServerDefaults = Pick<AppConfig, 'NEW_USER_POSTS' | 'NEW_USER_AGE' | 'HELD_MODE' | 'REPORT_THRESHOLD' | 'APPROVE_EMOJI' | 'REJECT_EMOJI' | 'REPORT_EMOJI'>;

/** A stored held mode the code does not know (a hand edit) is read as the server default. */
function heldModeOf(value: string | null, fallback: HeldMode): HeldMode {
  return (HELD_MODES as readonly string[]).includes(value ?? '') ? (value as HeldMode) : fallback;
}

export function roomModeration(room: RoomModerationColumns, config: ServerDefaults): RoomModeration {
  return {
    newUserPosts: room.newUserPosts ?? config.NEW_USER_POSTS,
    newUserAge: room.newUserAge ?? config.NEW_USER_AGE,
    heldMode: heldModeOf(room.heldMode, config.HELD_MODE),
    reportThreshold: room.reportThreshold ?? config.REPORT_THRESHOLD,
    approveEmoji: room.approveEmoji ?? config.APPROVE_EMOJI,
    rejectEmoji: room.rejectEmoji ?? config.REJECT_EMOJI,
    reportEmoji: room.reportEmoji ?? config.REPORT_EMOJI,
  };
}

/** The room's own values only (unset ones left out), for showing what differs from the server. */
export function ownRoomModeration(room: RoomModerationColumns): Partial<RoomModeration> {
  const own: Partial<RoomModeration> = {};
  for (const key of Object.keys(roomModerationChangeSchema.shape) as Array<keyof RoomModeration>) {
    const value = room[key];
    if (value !== null) Object.assign(own, { [key]: value });
  }
  return own;
}

/** A reaction as clients send one: 1 to 12 code points (protocol §6.4's default limit), no spaces or NUL. */
const emoji = z
  .string()
  .refine((s) => [...s].length >= 1 && [...s].length <= 12 && !/\s/.test(s) && !s.includes('\u0000'), { message: 'expected an emoji: 1 to 12 code points, no spaces' });

/** A change of a room's settings: a value sets it, null goes back to the server default, absent leaves it. */
export const roomModerationChangeSchema = z
  .object({
    newUserPosts: z.number().int().min(0).max(1000).nullable(),
    newUserAge: z
      .number()
      .int()
      .min(0)
      .max(365 * 86400)
      .nullable(),
    heldMode: z.enum(HELD_MODES).nullable(),
    reportThreshold: z.number().int().min(1).max(1000).nullable(),
    approveEmoji: emoji.nullable(),
    rejectEmoji: emoji.nullable(),
    reportEmoji: emoji.nullable(),
  })
  .partial()
  .strict();

export type RoomModerationChange = z.infer<typeof roomModerationChangeSchema>;
