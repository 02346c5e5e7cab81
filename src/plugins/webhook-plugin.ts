import type { PluginEvent } from './plugin-events';
import { PluginFailure, type PluginHost } from './plugin-host';
import { PLUGIN_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook, verifyWebhookSignature } from './webhook-signature';

export interface WebhookPluginOptions {
  name: string;
  url: string;
  secret: string;
  /** unix seconds, the server's clock */
  now: () => number;
  signatureWindow: number;
  answerMaxBytes: number;
}

/**
 * An out-of-process plugin (issue 16 item 4): each event is POSTed as JSON, signed with the plugin's
 * secret over a timestamp and the body; the answer must be signed the same way, so nobody on the
 * path can answer for it. Redirects are not followed (the URL was checked, a redirect's target not).
 */
export class WebhookPlugin implements PluginHost {
  constructor(private readonly opts: WebhookPluginOptions) {}

  async call(event: PluginEvent, deadlineMs: number): Promise<unknown> {
    const body = JSON.stringify(event);
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [PLUGIN_HEADER]: this.opts.name, ...signWebhook(this.opts.secret, this.opts.now(), body) },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(deadlineMs),
      });
      text = await readBounded(res, this.opts.answerMaxBytes);
    } catch (err) {
      const e = err as Error;
      if (e instanceof PluginFailure) throw e;
      throw new PluginFailure(e.name === 'TimeoutError' ? 'timeout' : 'error', e.message);
    }
    if (!res.ok) throw new PluginFailure('error', `answered HTTP ${res.status}`);
    if (text.trim() === '') return null;
    const check = verifyWebhookSignature(
      this.opts.secret,
      { timestamp: res.headers.get(TIMESTAMP_HEADER), signature: res.headers.get(SIGNATURE_HEADER) },
      text,
      this.opts.now(),
      this.opts.signatureWindow,
    );
    if (!check.ok) throw new PluginFailure('signature', `answer signature ${check.reason}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new PluginFailure('invalid', 'the answer is not JSON');
    }
  }

  async close(): Promise<void> {}
}

/** The body as text, refusing one longer than `max` bytes without reading the rest. */
async function readBounded(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) {
      await res.body.cancel().catch(() => undefined);
      throw new PluginFailure('invalid', `the answer is larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
