import type { FastifyBaseLogger } from 'fastify';
import type { AuthenticatedUser } from '../users/authenticated-user';

/**
 * What the gateway (or /batch, /sequence) attaches to a request it dispatches into the app. Only
 * requests carrying one count as "internal"; the object is shared with the dispatcher, so the auth
 * guard can report back what the reply cache needs (issue 9 item 5).
 */
export interface DispatchContext {
  /**
   * The request target exactly as the client signed it (onion `endpoint`). The in-process
   * injection re-encodes the URL, so the signature must be checked against this (spec §3.3).
   */
  signedTarget?: string;
  /**
   * Set for /batch and /sequence sub-requests: the outer request's user. The sub-request's own
   * X-SOGS-* headers are then ignored (spec §3.3).
   */
  inheritedUser?: AuthenticatedUser | null;
  /**
   * Set for /batch sub-requests (they run concurrently, as if at one instant): reads that every
   * sub-request would repeat, e.g. a room and the user's permissions in it, are shared through it.
   */
  batchReads?: Map<string, Promise<unknown>>;
  /**
   * The request only reads (a GET, or a batch of GETs): a retry of it runs again instead of being
   * answered with a kept reply, so none is kept (issue 7: no Redis write of every poll's reply).
   */
  readOnly?: boolean;
  /** The outer HTTP request's logger (request id): direct routes log their request line with it. */
  log?: FastifyBaseLogger;
  /** Filled in by the auth guard when the request carried a verified signature. */
  signed?: SignedRequestInfo;
}

export interface SignedRequestInfo {
  /** Hex of the 16-byte X-SOGS-Nonce: the key of the kept reply. */
  nonceHex: string;
  /** The same pubkey, nonce and signature were seen before: answer with the kept reply if any. */
  retry: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth guard: the verified user, or null for an anonymous request. */
    sogsUser?: AuthenticatedUser | null;
    /** Set for requests dispatched in-process by the gateway or /batch; absent for direct HTTP. */
    sogsDispatch?: DispatchContext;
  }
}
