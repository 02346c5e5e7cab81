import { Inject, Injectable, PayloadTooLargeException } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { parseJsonBody } from '../core/json-body';
import { InternalDispatcher } from '../onion-gateway/internal-dispatcher';
import type { InnerRequest, InnerResponse } from '../onion-gateway/inner-request';
import { encodeBatchResponse, parseBatch } from './batch';

export interface CapabilitiesReply {
  capabilities: string[];
  missing?: string[];
}

/** spec §6.1: capabilities, and /batch, /sequence run through the gateway's dispatcher. */
@Injectable()
export class GeneralService {
  private readonly capabilities: string[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dispatcher: InternalDispatcher,
  ) {
    // Clients sign blinded only when `blind` is advertised (spec §3.6).
    this.capabilities = [...(config.REQUIRE_BLIND_KEYS ? ['blind'] : []), 'reactions', 'sogs'].sort();
  }

  /** `required` is the raw comma-separated query value; missing items keep the request's order. */
  capabilitiesFor(required: string | undefined): CapabilitiesReply {
    if (!required) return { capabilities: this.capabilities };
    const missing = required.split(',').filter((c) => !this.capabilities.includes(c));
    return missing.length ? { capabilities: this.capabilities, missing } : { capabilities: this.capabilities };
  }

  /** Parses and runs a batch (see parse and execute). */
  run(rawBody: unknown, user: AuthenticatedUser | null, mode: 'batch' | 'sequence'): Promise<Buffer> {
    return this.execute(this.parse(rawBody), user, mode);
  }

  /** The sub-requests of a /batch or /sequence body; 413 or 400 with a reason when it is not one. */
  parse(rawBody: unknown): InnerRequest[] {
    const size = Buffer.isBuffer(rawBody) ? rawBody.length : 0;
    if (size > this.config.BATCH_MAX_BYTES) {
      throw new PayloadTooLargeException(`Batch request body of ${size} bytes exceeds the limit of ${this.config.BATCH_MAX_BYTES}`);
    }
    return parseBatch(parseJsonBody(rawBody, this.config.JSON_MAX_DEPTH), this.config.BATCH_MAX_REQUESTS);
  }

  /**
   * Runs a batch with the outer request's user for every sub-request. /batch runs them
   * independently (concurrently); /sequence in order, stopping after the first non-2xx.
   */
  async execute(requests: InnerRequest[], user: AuthenticatedUser | null, mode: 'batch' | 'sequence'): Promise<Buffer> {
    let responses: InnerResponse[];
    if (mode === 'batch') {
      const batchReads = new Map<string, Promise<unknown>>();
      responses = await Promise.all(requests.map((r) => this.dispatcher.dispatch(r, { inheritedUser: user, batchReads })));
    } else {
      responses = [];
      for (const r of requests) {
        const res = await this.dispatcher.dispatch(r, { inheritedUser: user });
        responses.push(res);
        if (res.code < 200 || res.code >= 300) break;
      }
    }
    return encodeBatchResponse(responses);
  }
}
