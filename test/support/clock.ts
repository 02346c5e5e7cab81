import { Clock } from '../../src/core/clock';

/**
 * The system clock plus an offset a test moves forward (`advance`), so time-based rules (expiry,
 * timed bans, future permissions) are reached without sleeping. Time still passes between
 * requests, so what a test compares against Date.now() stays true while nothing is advanced.
 */
export class TestClock extends Clock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
