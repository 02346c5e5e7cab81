/**
 * The time the services' rules read (expiries, timed bans, future permissions, windows, stored
 * timestamps). One injectable provider instead of Date.now() in each service, so a test moves
 * time forward instead of sleeping. Times the database or Redis keep (column defaults, key TTLs,
 * BullMQ delays) follow their own clocks.
 */
export abstract class Clock {
  /** Milliseconds since the epoch. */
  abstract now(): number;

  /** Seconds since the epoch, the protocol's unit for timestamps. */
  seconds(): number {
    return this.now() / 1000;
  }
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}
