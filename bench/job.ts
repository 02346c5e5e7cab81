/*
 * What the orchestrator (bench/main.ts) hands a load driver (bench/driver.ts) and gets back. Both
 * sides are separate processes; these objects travel over the fork IPC channel.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One kind of request; the driver signs a fresh copy (own nonce, own ephemeral key) per send. */
export interface RequestTemplate {
  method: HttpMethod;
  path: string;
  /** JSON body sent as is. */
  json?: unknown;
  /** A message post (protocol §6.3): a padded Session message with a text of this many random characters, a random 64-byte signature, per request (bench/post-data.ts). */
  postBytes?: number;
  /** A room file upload (protocol §10): this many random bytes as the raw body, with a Content-Disposition filename. */
  uploadBytes?: number;
  /** A DM (protocol §9): `message` of this many random bytes to another member of the job (the next one in the plan's member list). */
  dmBytes?: number;
  /** Sent without X-SOGS-* headers, as a client that has not joined asks (e.g. `/capabilities`). */
  anonymous?: boolean;
  /** How this template's reply counts as a success, when not the job's `expect`. */
  expect?: Expectation;
}

/** How a reply counts as a success; anything else is an error. */
export type Expectation =
  /**
   * v4 code 200 and every batch sub-response 200 or 304 ("nothing new"). `refusals`: an inner 503
   * with Retry-After (the server at capacity) is counted as a refusal, not an error (overload runs).
   */
  | { kind: 'batch'; refusals?: boolean }
  /** v4 code equals `code`. */
  | { kind: 'status'; code: number };

export type LoadShape =
  /** `concurrency` connections, each sending its next request when the last one answered. */
  | { kind: 'closed'; concurrency: number }
  /** A fixed arrival rate; latency counts from the scheduled send time (no coordinated omission). */
  | { kind: 'open'; rate: number; maxInFlight: number }
  /** Each request at its own time (`DriverJob.plan`); latency counts from that time. */
  | { kind: 'schedule'; maxInFlight: number };

/**
 * A timed request list (population runs): request i is templates[template[i]] signed by
 * userSeeds[member[i]] and sent at `at[i]` ms after "go". Parallel arrays keep the IPC message small.
 */
export interface RequestPlan {
  at: number[];
  member: number[];
  template: number[];
}

export interface DriverJob {
  name: string;
  /** http://127.0.0.1:port (loopback only). */
  url: string;
  serverPubkeyHex: string;
  /** Ed25519 seeds (hex) of the users that sign; request i is signed by user (userOffset + i) mod n. */
  userSeeds: string[];
  userOffset: number;
  /** Request i uses templates[i mod n]. */
  templates: RequestTemplate[];
  expect: Expectation;
  shape: LoadShape;
  durationMs: number;
  /** Requests pre-built before the timed window; the run stops when they are used up. */
  count: number;
  /** With shape `schedule`: who sends what when (then `count` is its length and `userOffset` is unused). */
  plan?: RequestPlan;
}

export interface DriverResult {
  /** Latency of every completed request, ms. */
  latencies: number[];
  completed: number;
  errors: number;
  /** Valid replies refusing the request (inner 503 with Retry-After), when the expectation allows them; not in `latencies`. */
  refused: number;
  /** A few error descriptions (status and body start) for the report. */
  errorSamples: string[];
  elapsedMs: number;
  /** Pre-build time, ms (not part of the measurement). */
  buildMs: number;
  /** CPU time of this driver process while it sent (the load generator's share of the machine), ms. */
  cpuMs: number;
  /** Bytes of the outer (encrypted) replies received, all requests. */
  replyBytes: number;
}

export type ParentMessage = { type: 'job'; job: DriverJob } | { type: 'go' };
export type DriverMessage = { type: 'ready' } | { type: 'result'; result: DriverResult } | { type: 'failed'; error: string };
