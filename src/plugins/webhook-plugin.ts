import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
 * path can answer for it. Redirects are not followed (the URL was checked, a redirect's target not):
 * a 3xx is a failure. node:http(s) with a keep-alive agent rather than fetch: a third of fetch's
 * CPU per call, and a decision hook makes one call per post (BENCHMARKS.md "Webhook decision hook").
 */
export class WebhookPlugin implements PluginHost {
  private readonly target: URL;
  private readonly agent: HttpAgent;

  constructor(private readonly opts: WebhookPluginOptions) {
    this.target = new URL(opts.url);
    this.agent = this.target.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  async call(event: PluginEvent, deadlineMs: number): Promise<unknown> {
    const body = JSON.stringify(event);
    const { status, headers, text } = await this.post(body, deadlineMs);
    if (status < 200 || status > 299) throw new PluginFailure('error', `answered HTTP ${status}`);
    if (text.trim() === '') return null;
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : (v ?? null);
    };
    const check = verifyWebhookSignature(
      this.opts.secret,
      { timestamp: header(TIMESTAMP_HEADER), signature: header(SIGNATURE_HEADER) },
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

  /** One POST, answered (status, headers, body as text) within `deadlineMs`; a body over answerMaxBytes is refused unread. */
  private post(body: string, deadlineMs: number): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
    const send = this.target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err instanceof PluginFailure ? err : new PluginFailure('error', err.message));
      };
      // Cut short (the deadline, an oversized answer): fails with why, before the socket says anything.
      const abort = (why: PluginFailure) => {
        fail(why);
        req.destroy(why);
      };
      const req = send(this.target, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          [PLUGIN_HEADER]: this.opts.name,
          ...signWebhook(this.opts.secret, this.opts.now(), body),
        },
      });
      const timer = setTimeout(() => abort(new PluginFailure('timeout', `no answer within ${deadlineMs} ms`)), deadlineMs);
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.opts.answerMaxBytes) abort(new PluginFailure('invalid', `the answer is larger than ${this.opts.answerMaxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('close', () => fail(new Error('the connection closed before the answer ended')));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
