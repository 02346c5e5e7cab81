import { ServiceUnavailableException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Transform, type TransformCallback } from 'node:stream';

/** The refusal of a body that would take the process past its budget (answered 503, connection closed). */
export const BODY_BUDGET_EXCEEDED = 'Server busy receiving other requests; retry later';

/** A 503 for Nest's filters and, by its statusCode, for routes on Fastify directly (the onion gateway). */
function bodyBudgetExceeded(): ServiceUnavailableException {
  return Object.assign(new ServiceUnavailableException(BODY_BUDGET_EXCEEDED), { statusCode: 503 });
}

/**
 * A cap on the bytes held for request bodies still being received, across the whole process
 * (HTTP_MAX_PENDING_BODY_BYTES): clients that send most of a large body and then stall cannot
 * pin memory beyond it while the request deadline runs. Counted per byte received, not per
 * Content-Length declared, so a client cannot reserve what it never sends; not per address,
 * since every client arrives from a service node's address.
 */
export class BodyBudget {
  private inFlight = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.inFlight;
  }

  /** A pass-through stream that holds its bytes against the budget until the body ends or is dropped. */
  meter(): Transform {
    let held = 0;
    const release = () => {
      this.inFlight -= held;
      held = 0;
    };
    return new Transform({
      transform: (chunk: Buffer, _encoding, done: TransformCallback) => {
        if (this.inFlight + chunk.length > this.maxBytes) return done(bodyBudgetExceeded());
        this.inFlight += chunk.length;
        held += chunk.length;
        done(null, chunk);
      },
      flush: (done: TransformCallback) => {
        release();
        done();
      },
      destroy: (err, done) => {
        release();
        done(err);
      },
    });
  }
}

/** Meters every request body of `fastify` against one process-wide budget. */
export function installBodyBudget(fastify: FastifyInstance, maxBytes: number): BodyBudget {
  const budget = new BodyBudget(maxBytes);
  fastify.addHook('preParsing', async (_request, reply, payload) => {
    const meter = budget.meter();
    // A refused body is left unread: the connection cannot carry another request after it.
    meter.once('error', () => {
      reply.header('connection', 'close');
    });
    // A client gone mid-body (deadline, reset) hands its bytes back.
    payload.once('close', () => {
      if (!payload.readableEnded) meter.destroy();
    });
    return payload.pipe(meter);
  });
  return budget;
}
