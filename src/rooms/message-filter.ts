// Optional posting filters (protocol §9.2). Pure: Session message parsing, Unicode folding, matching.
import { remove as removeConfusables } from 'confusables';

/** The text a filter looks at: the message body and the sender's profile display name. */
export interface SessionText {
  body: string;
  displayName: string;
}

/** Session padding (protocol §7.5): trailing 0x00s, then one 0x80, are not part of the message. */
export function unpad(data: Uint8Array): Uint8Array {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  if (end > 0 && data[end - 1] === 0x80) end--;
  return data.subarray(0, end);
}

/** One protobuf message's fields: length-delimited values by field number, and which varint fields it has. */
interface Fields {
  bytes: Map<number, Uint8Array[]>;
  varints: Set<number>;
}

/** The fields of one protobuf message; null if the bytes are not a valid message. */
function protobufFields(buf: Uint8Array): Fields | null {
  const fields: Fields = { bytes: new Map(), varints: new Set() };
  let i = 0;
  const varint = (): number | null => {
    let result = 0;
    let shift = 0;
    while (i < buf.length && shift < 64) {
      const b = buf[i++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    return null;
  };
  while (i < buf.length) {
    const key = varint();
    if (key === null) return null;
    const field = Math.floor(key / 8);
    if (field === 0) return null;
    switch (key % 8) {
      case 0:
        if (varint() === null) return null;
        fields.varints.add(field);
        break;
      case 1:
        i += 8;
        break;
      case 2: {
        const len = varint();
        if (len === null || i + len > buf.length) return null;
        const value = buf.subarray(i, i + len);
        i += len;
        fields.bytes.set(field, [...(fields.bytes.get(field) ?? []), value]);
        break;
      }
      case 5:
        i += 4;
        break;
      default:
        return null;
    }
    if (i > buf.length) return null;
  }
  return fields;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The forms of a community message's data (protocol §7.6). */
export type MessageForm = 'content' | 'content+pro' | 'envelope';

export interface CommunityMessageText extends SessionText {
  form: MessageForm;
  /** DataMessage.attachments (2) and DataMessage.preview (10, link previews) the message carries. */
  attachments: number;
  previews: number;
}

/**
 * Body, display name, attachments and link previews of a `Content` (Content.dataMessage = 1,
 * DataMessage.body = 1, .attachments = 2, .preview = 10, .profile = 101, LokiProfile.displayName = 1;
 * protocol §7.6). A Content without a dataMessage (or one that does not parse) has empty text:
 * clients would show nothing either.
 */
function contentText(content: Fields): Omit<CommunityMessageText, 'form'> {
  const dataMessage = content.bytes.get(1)?.[0];
  const fields = dataMessage ? protobufFields(dataMessage) : null;
  const body = fields?.bytes.get(1)?.[0];
  const profileBytes = fields?.bytes.get(101)?.[0];
  const profile = profileBytes ? protobufFields(profileBytes) : null;
  const name = profile?.bytes.get(1)?.[0];
  return {
    body: body ? utf8.decode(body) : '',
    displayName: name ? utf8.decode(name) : '',
    attachments: fields?.bytes.get(2)?.length ?? 0,
    previews: fields?.bytes.get(10)?.length ?? 0,
  };
}

/** An `Envelope` (protocol §7.6): its required type (1) and timestamp (5) varints; its Content in field 8. */
function envelopeOf(bytes: Uint8Array): Fields | null {
  const fields = protobufFields(bytes);
  return fields && fields.varints.has(1) && fields.varints.has(5) ? fields : null;
}

/**
 * The text of a community message in whichever form it came (protocol §7.6): an `Envelope` (as
 * received or unpadded) is read first, as libsession does, else the unpadded bytes as a `Content`
 * (field 17 present: one carrying a Session Pro signature). Null when it is neither.
 */
export function readCommunityMessage(data: Uint8Array): CommunityMessageText | null {
  const unpadded = unpad(data);
  const envelope = envelopeOf(data) ?? envelopeOf(unpadded);
  if (envelope) {
    const inner = envelope.bytes.get(8)?.[0];
    const content = inner ? protobufFields(unpad(inner)) : null;
    return content ? { form: 'envelope', ...contentText(content) } : null;
  }
  const content = protobufFields(unpadded);
  return content ? { form: content.bytes.has(17) ? 'content+pro' : 'content', ...contentText(content) } : null;
}

/** Body and display name of a message in any form; empty strings when it cannot be read. */
export function sessionText(data: Uint8Array): SessionText {
  const read = readCommunityMessage(data);
  return { body: read?.body ?? '', displayName: read?.displayName ?? '' };
}

/**
 * Canonical form for word matching: NFKC (full-width, ligatures, styled letters), confusable
 * folding to Latin (Cyrillic "а", Greek "ο", …), lower case, invisible format characters removed.
 */
export function foldText(text: string): string {
  const nfkc = text.normalize('NFKC').replace(/\p{Cf}/gu, '');
  return removeConfusables(nfkc).normalize('NFKC').toLowerCase();
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A matcher for whole words/phrases of the list, in folded text. */
export function profanityMatcher(words: readonly string[]): (text: string) => boolean {
  const terms = [...new Set(words.map((w) => foldText(w.trim())).filter((w) => w.length > 0))];
  if (terms.length === 0) return () => false;
  terms.sort((a, b) => b.length - a.length);
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${terms.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'u');
  return (text) => re.test(foldText(text));
}

/** Alphabet filters of protocol §9.2 (`persian` is the letters Persian adds to Arabic). */
export const ALPHABETS: Record<string, RegExp> = {
  arabic: /[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]/u,
  persian: /[\u067e\u0686\u0698\u06a9\u06af\u06cc]/u,
  // The combining range comes first: after another character the linter reads it as one combined character.
  cyrillic: /[\u2de0-\u2dff\u0400-\u052f\u1c80-\u1c8f\ua640-\ua69f]/u,
};

/** The first configured alphabet the text uses, or null. */
export function alphabetHit(text: string, alphabets: readonly string[]): string | null {
  const nfkc = text.normalize('NFKC');
  return alphabets.find((a) => ALPHABETS[a]?.test(nfkc)) ?? null;
}
