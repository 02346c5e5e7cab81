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
}

/** The rooms columns behind the settings (Prisma field names, the same keys as RoomModeration). */
export type RoomModerationColumns = Pick<Room, 'newUserPosts' | 'newUserAge'>;

type ServerDefaults = Pick<AppConfig, 'NEW_USER_POSTS' | 'NEW_USER_AGE'>;

export function roomModeration(room: RoomModerationColumns, config: ServerDefaults): RoomModeration {
  return {
    newUserPosts: room.newUserPosts ?? config.NEW_USER_POSTS,
    newUserAge: room.newUserAge ?? config.NEW_USER_AGE,
  };
}

/** The room's own values only (unset ones left out), for showing what differs from the server. */
export function ownRoomModeration(room: RoomModerationColumns): Partial<RoomModeration> {
  const own: Partial<RoomModeration> = {};
  for (const key of Object.keys(roomModerationChangeSchema.shape) as Array<keyof RoomModeration>) {
    const value = room[key];
    if (value !== null) own[key] = value;
  }
  return own;
}

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
  })
  .partial()
  .strict();

export type RoomModerationChange = z.infer<typeof roomModerationChangeSchema>;
