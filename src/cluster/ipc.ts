import type { Worker } from 'node:cluster';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ReadinessReport } from '../health/readiness';

/**
 * What the cluster primary asks an API worker over the cluster channel. With API_WORKERS > 1 the
 * admin port belongs to the primary, which has no database or registry of its own: it asks the
 * workers for their readiness and their metrics and answers for the whole group, and hands each
 * console request to a worker.
 */
export interface WorkerQueries {
  readiness: { ask: null; answer: ReadinessReport };
  metrics: { ask: null; answer: MetricObjectWithValues<MetricValue<string>>[] };
  /** A console request, answered by the worker's console routes (the primary has no database). */
  console: { ask: ForwardedRequest; answer: ForwardedResponse };
}

/** An HTTP request as the primary received it; bodies in base64 (the channel carries JSON). */
export interface ForwardedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body: string;
}

export interface ForwardedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

export type WorkerQuery = keyof WorkerQueries;
type AskOf<Q extends WorkerQuery> = WorkerQueries[Q]['ask'];
type AnswerOf<Q extends WorkerQuery> = WorkerQueries[Q]['answer'];

interface Ask {
  scs: 'ask';
  id: number;
  query: WorkerQuery;
  arg: unknown;
}

interface Answer {
  scs: 'answer';
  id: number;
  value?: unknown;
  error?: string;
}

let nextId = 0;

/** Asks one worker; rejects when it answers with an error, exits, or is silent for `timeoutMs`. */
export function askWorker<Q extends WorkerQuery>(worker: Worker, query: Q, timeoutMs: number, ...[arg]: AskOf<Q> extends null ? [] : [AskOf<Q>]): Promise<AnswerOf<Q>> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const settle = (finish: () => void) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      finish();
    };
    const onMessage = (message: Answer) => {
      if (message?.scs !== 'answer' || message.id !== id) return;
      settle(() => (message.error === undefined ? resolve(message.value as AnswerOf<Q>) : reject(new Error(message.error))));
    };
    const onExit = () => settle(() => reject(new Error(`worker ${worker.process.pid} exited`)));
    const timer = setTimeout(() => settle(() => reject(new Error(`worker ${worker.process.pid}: no answer within ${timeoutMs} ms`))), timeoutMs);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    if (!worker.isConnected()) return onExit();
    const ask: Ask = { scs: 'ask', id, query, arg: arg ?? null };
    worker.send(ask);
  });
}

/** In an API worker: answers the primary's queries. */
export function answerPrimary(handlers: { [Q in WorkerQuery]: (arg: AskOf<Q>) => Promise<AnswerOf<Q>> }): void {
  process.on('message', (message: Ask) => {
    if (message?.scs !== 'ask') return;
    // A worker shutting down may have lost the channel already; the primary then times out.
    const reply = (answer: Omit<Answer, 'scs' | 'id'>) => {
      if (process.connected) process.send?.({ scs: 'answer', id: message.id, ...answer } satisfies Answer);
    };
    (handlers[message.query] as (arg: unknown) => Promise<unknown>)(message.arg).then(
      (value) => reply({ value }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
