// The forms a client sends a community message's `data` in (protocol §7.6), built with a small
// protobuf writer (SessionProtos field numbers): plain `Content`, `Content` carrying a Session Pro
// signature, and the `Envelope` libsession is moving community messages to.
import { randomBytes } from 'node:crypto';

export type MessageForm = 'content' | 'content+pro' | 'envelope';
export const MESSAGE_FORMS: readonly MessageForm[] = ['content', 'content+pro', 'envelope'];

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}
const key = (field: number, wire: 0 | 2) => varint(field * 8 + wire);
const bytesField = (field: number, value: Uint8Array) => Buffer.concat([key(field, 2), varint(value.length), value]);
const varintField = (field: number, value: number) => Buffer.concat([key(field, 0), varint(value)]);

/** Session padding (protocol §7.5): 0x80, then zeros to a multiple of 160 bytes. */
export function pad(bytes: Uint8Array): Buffer {
  return Buffer.concat([bytes, Buffer.from([0x80]), Buffer.alloc(159 - (bytes.length % 160))]);
}

/** What a message carries besides its text: attachment pointers, a link preview. */
export interface Carried {
  attachments?: number;
  preview?: string;
}

/** `Content { dataMessage { body, attachments*, preview?, profile { displayName }? } }`, unpadded. */
function content(body: string, displayName?: string, carried: Carried = {}): Buffer {
  const profile = displayName === undefined ? Buffer.alloc(0) : bytesField(101, bytesField(1, Buffer.from(displayName)));
  // AttachmentPointer { contentType = 2, url = 101 }; Preview { url = 1 }.
  const attachments = Array.from({ length: carried.attachments ?? 0 }, (_, i) =>
    bytesField(2, Buffer.concat([bytesField(2, Buffer.from('image/jpeg')), bytesField(101, Buffer.from(`http://example.invalid/room/r/file/${i}`))])),
  );
  const preview = carried.preview === undefined ? [] : [bytesField(10, bytesField(1, Buffer.from(carried.preview)))];
  return bytesField(1, Buffer.concat([bytesField(1, Buffer.from(body)), ...attachments, ...preview, profile]));
}

/** `ProMessage { proof { version, genIndexHash, rotatingPublicKey, expiryUnixTs, sig }, profileBitset }`. */
function proMessage(): Buffer {
  const proof = Buffer.concat([
    varintField(1, 0),
    bytesField(2, randomBytes(32)),
    bytesField(3, randomBytes(32)),
    varintField(4, Date.now() + 86_400_000),
    bytesField(5, randomBytes(64)),
  ]);
  return Buffer.concat([bytesField(1, proof), varintField(2, 1)]);
}

/** The `data` bytes of a community post in one of the three forms. */
export function communityMessageData(form: MessageForm, body: string, displayName?: string, carried?: Carried): Buffer {
  const plain = content(body, displayName, carried);
  if (form === 'content') return pad(plain);
  if (form === 'content+pro') return pad(Buffer.concat([plain, bytesField(16, proMessage()), bytesField(17, randomBytes(64))]));
  const withPro = Buffer.concat([plain, bytesField(16, proMessage())]);
  return Buffer.concat([
    varintField(1, 6),
    bytesField(2, Buffer.concat([Buffer.from([0x05]), randomBytes(32)])),
    varintField(5, Date.now()),
    varintField(7, 1),
    bytesField(8, pad(withPro)),
    bytesField(11, randomBytes(64)),
  ]);
}

/** A post body (base64 data and a random signature) in one of the three forms. */
export function communityPost(form: MessageForm, body: string, displayName?: string, carried?: Carried): { data: string; signature: string } {
  return { data: communityMessageData(form, body, displayName, carried).toString('base64'), signature: randomBytes(64).toString('base64') };
}
