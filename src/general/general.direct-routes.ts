import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import type { DirectAnswer, DirectRequest } from '../onion-gateway/direct-routes';
import type { InnerRequest } from '../onion-gateway/inner-request';
import { InternalDispatcher } from '../onion-gateway/internal-dispatcher';
import { GeneralService } from './general.service';

/**
 * POST /batch and /sequence from the gateway as direct routes (issue 7): what GeneralController
 * does behind the global auth guard (authenticate, anonymous allowed, then run), without a round
 * through injection and Nest for the request every poll is.
 */
@Injectable()
export class GeneralDirectRoutes implements OnModuleInit {
  constructor(
    private readonly dispatcher: InternalDispatcher,
    private readonly auth: AuthService,
    private readonly general: GeneralService,
  ) {}

  onModuleInit(): void {
    for (const mode of ['batch', 'sequence'] as const) {
      this.dispatcher.registerDirect({ scope: 'gateway', method: 'POST', route: `/${mode}`, path: new RegExp(`^/${mode}$`), handle: (req) => this.run(mode, req) });
    }
  }

  private async run(mode: 'batch' | 'sequence', req: DirectRequest): Promise<DirectAnswer> {
    let requests: InnerRequest[] | null = null;
    try {
      requests = this.general.parse(req.body);
    } catch {
      // A bad body is answered after authentication, in the order the guard and controller would.
    }
    // A batch of reads only (every poll) may simply run again when retried: no reply is kept for it.
    req.context.readOnly = requests !== null && requests.every((r) => r.method === 'GET');
    const user = await this.auth.authenticate({ method: req.method, url: req.target, headers: req.headers, body: req.body }, req.context);
    return { jsonBytes: await this.general.execute(requests ?? this.general.parse(req.body), user, mode) };
  }
}
