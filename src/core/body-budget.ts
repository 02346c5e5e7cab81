import { ServiceUnavailableException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';

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

  /** Holds `n` more bytes; false (nothing held) when they would take the process past the budget. */
  take(n: number): boolean {
    if (this.inFlight + n > this.maxBytes) return false;
    this.inFlight += n;
    return true;
  }

  give(n: number): void {
    this.inFlight -= n;
  }

  /** The body of `source` as its reader sees it: its bytes held against the budget until it ends or is dropped. */
  meter(source: Readable): Readable {
    return new MeteredBody(source, this);
  }
}

/**
 * A request body read through the budget. It reads `source` only once its own reader reads (a body
 * nobody reads holds nothing), and only as fast as that reader takes it. A plain Readable fed by
 * the source's events: a Transform piped from it cost far more per request (the poll path,
 * issue 18 item 4). A refused body is left unread.
 */
class MeteredBody extends Readable {
  private held = 0;
  private reading = false;

  constructor(
    private readonly source: Readable,
    private readonly budget: BodyBudget,
  ) {
    super();
  }

  override _read(): void {
    if (!this.reading) {
      this.reading = true;
      this.source.on('data', this.onData);
      this.source.on('end', this.onEnd);
      this.source.on('error', this.onError);
      // A client gone mid-body (deadline, reset) hands its bytes back.
      this.source.on('close', this.onClose);
    }
    this.source.resume();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.stop();
    done(err);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.budget.take(chunk.length)) {
      this.destroy(bodyBudgetExceeded());
      return;
    }
    this.held += chunk.length;
    if (!this.push(chunk)) this.source.pause();
  };

  private readonly onEnd = (): void => {
    this.stop();
    this.push(null);
  };

  private readonly onError = (err: Error): void => {
    this.destroy(err);
  };

  private readonly onClose = (): void => {
    if (!this.source.readableEnded) this.destroy();
  };

  /** Stops reading the source and gives the held bytes back. */
  private stop(): void {
    this.source.removeListener('data', this.onData);
    this.source.removeListener('end', this.onEnd);
    this.source.removeListener('error', this.onError);
    this.source.removeListener('close', this.onClose);
    if (!this.source.readableEnded) this.source.pause();
    this.budget.give(this.held);
    this.held = 0;
  }
}

/** Meters every request body of `fastify` against one process-wide budget. */
export function installBodyBudget(fastify: FastifyInstance, maxBytes: number): BodyBudget {
  const budget = new BodyBudget(maxBytes);
  // A callback hook: an async one cost a promise per request for work that never waits.
  fastify.addHook('preParsing', (_request, reply, payload, done) => {
    const body = budget.meter(payload);
    // A refused body is left unread: the connection cannot carry another request after it.
    body.once('error', () => {
      reply.header('connection', 'close');
    });
    done(null, body);
  });
  return budget;
}
