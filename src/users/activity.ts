/**
 * Activity times (users.last_active, room_users.last_active) are stored floored to
 * ACTIVITY_GRANULARITY (issue 20, docs/privacy.md): the database says in which hour someone was
 * last active, not when exactly they polled. These two functions are the only arithmetic on them.
 */

/** The stored value for activity at `at`: the start of its granule. */
export function activityGranule(at: number, granularity: number): number {
  return Math.floor(at / granularity) * granularity;
}

/**
 * The least stored value that counts as active within the last `window` seconds before `now`: a
 * granule counts when any of it lies in the window, so nobody active in the window is missed (and
 * at most one granule before it is counted as in it).
 */
export function activeSince(now: number, window: number, granularity: number): number {
  return activityGranule(now - window, granularity);
}
