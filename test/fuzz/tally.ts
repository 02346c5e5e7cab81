// Shared bookkeeping for the fuzz and abuse tests: every case is counted by status class, and a
// 5xx (or a 4xx without a reason) is kept with the request that caused it so the report names it.
import type { SogsResponse } from '../../src/client';

export interface Case {
  who: string;
  method: string;
  path: string;
  body?: string;
}

export class Tally {
  tried = 0;
  readonly byClass: Record<'2xx' | '3xx' | '4xx' | '5xx', number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  readonly failures: string[] = [];

  constructor(private readonly name: string) {}

  /** Counts one reply; returns a description of what is wrong with it, or null. */
  record(c: Case, res: SogsResponse): string | null {
    this.tried++;
    const klass = `${Math.floor(res.code / 100)}xx` as keyof Tally['byClass'];
    if (klass in this.byClass) this.byClass[klass]++;
    let problem: string | null = null;
    if (res.code >= 500 || res.code < 200) problem = `${res.code} ${res.text().slice(0, 200)}`;
    else if (res.code >= 400 && res.body.length === 0) problem = `${res.code} without a reason`;
    if (problem) this.failures.push(`${c.who} ${c.method} ${c.path.slice(0, 160)}${c.body ? ` body=${c.body.slice(0, 160)}` : ''} → ${problem}`);
    return problem;
  }

  report(): string {
    const { '2xx': ok, '3xx': notModified, '4xx': refused, '5xx': broken } = this.byClass;
    return `${this.name}: ${this.tried} cases tried, 2xx ${ok}, 3xx ${notModified}, 4xx ${refused}, 5xx ${broken}`;
  }
}
