import { randomBytes } from 'node:crypto';
import { padMessage, visibleMessageContent } from '../src/protocol/session-message';

/**
 * The JSON body of a message post (protocol §6.3) as a client sends it: `data` is a padded Session
 * `Content` whose text body has `bytes` random characters (servers that read the message, as
 * bunsogs does for its plugins, refuse random bytes), and a random 64-byte `signature` (servers
 * store it for clients to check, they do not verify it).
 */
export function postJson(bytes: number): { data: string; signature: string } {
  const body = randomBytes(bytes).toString('base64').slice(0, bytes);
  const content = padMessage(visibleMessageContent({ body, displayName: 'bench', sentAtMs: Date.now() }));
  return { data: Buffer.from(content).toString('base64'), signature: randomBytes(64).toString('base64') };
}
