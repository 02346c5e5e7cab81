import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { batchOnlyReads, runBatch, type BatchLimits } from './batch';
import type { InnerRequest } from './inner-request';
import { InnerReply, route, type InnerRoute, type RouteSource } from './route';

export interface CapabilitiesReply {
  capabilities: string[];
  missing?: string[];
}

/** GET /capabilities, POST /batch, POST /sequence (protocol §6.1). */
@Injectable()
export class GeneralRoutes implements RouteSource {
  private readonly capabilities: string[];
  private readonly limits: BatchLimits;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Clients sign blinded only when `blind` is advertised (protocol §3.6).
    this.capabilities = [...(config.REQUIRE_BLIND_KEYS ? ['blind'] : []), 'reactions', 'sogs'].sort();
    this.limits = {
      maxBytes: config.BATCH_MAX_BYTES,
      maxRequests: config.BATCH_MAX_REQUESTS,
      jsonMaxDepth: config.JSON_MAX_DEPTH,
      maxReplyBytes: config.BATCH_REPLY_MAX_BYTES,
    };
  }

  routes(): InnerRoute[] {
    const readOnly = (inner: InnerRequest) => batchOnlyReads(inner.body, this.limits);
    return [
      route({
        method: 'GET',
        path: '/capabilities',
        handle: ({ query }) => {
          const result = this.capabilitiesFor(typeof query.required === 'string' ? query.required : undefined);
          return InnerReply.json(result.missing ? 412 : 200, result);
        },
      }),
      route({ method: 'POST', path: '/batch', readOnly, handle: async (req) => InnerReply.json(200, await runBatch('batch', req, this.limits)) }),
      route({ method: 'POST', path: '/sequence', readOnly, handle: async (req) => InnerReply.json(200, await runBatch('sequence', req, this.limits)) }),
    ];
  }

  /** `required` is the raw comma-separated query value; missing items keep the request's order. */
  capabilitiesFor(required: string | undefined): CapabilitiesReply {
    if (!required) return { capabilities: this.capabilities };
    const missing = required.split(',').filter((c) => !this.capabilities.includes(c));
    return missing.length ? { capabilities: this.capabilities, missing } : { capabilities: this.capabilities };
  }
}
