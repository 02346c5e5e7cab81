import { toBuffer } from './bytes';

/*
 * The bencode subset of v4 onion requests (protocol §4.4/§4.5): a list of byte strings only,
 * `l <len>:<bytes> … e`. Anything else is refused.
 */

export class BencodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BencodeError';
  }
}

const L_BYTE = 0x6c; // 'l'
const E_BYTE = 0x65; // 'e'
const COLON = 0x3a;
const ZERO = 0x30;

export function bencodeList(items: Uint8Array[]): Buffer {
  const parts: Buffer[] = [Buffer.from('l')];
  for (const item of items) {
    parts.push(Buffer.from(`${item.length}:`), toBuffer(item));
  }
  parts.push(Buffer.from('e'));
  return Buffer.concat(parts);
}

/**
 * Decodes `l…e` of byte strings into views of `buf` (no copies). Lengths are canonical decimals
 * (no leading zeros, no sign), must fit the buffer, and nothing may follow the final `e`.
 */
export function bdecodeList(input: Uint8Array): Buffer[] {
  const buf = toBuffer(input);
  if (buf.length < 2 || buf[0] !== L_BYTE) throw new BencodeError('bencoded value is not a list');
  const items: Buffer[] = [];
  let pos = 1;
  while (pos < buf.length && buf[pos] !== E_BYTE) {
    const start = pos;
    let len = 0;
    while (pos < buf.length && buf[pos] >= ZERO && buf[pos] <= ZERO + 9) {
      len = len * 10 + (buf[pos] - ZERO);
      pos++;
      if (len > buf.length) throw new BencodeError('string length exceeds the input');
    }
    const digits = pos - start;
    if (digits === 0) throw new BencodeError('list element is not a byte string');
    if (digits > 1 && buf[start] === ZERO) throw new BencodeError('string length has a leading zero');
    if (pos >= buf.length || buf[pos] !== COLON) throw new BencodeError('string length is not followed by ":"');
    pos++;
    if (len > buf.length - pos) throw new BencodeError('string length exceeds the input');
    items.push(buf.subarray(pos, pos + len));
    pos += len;
  }
  if (pos >= buf.length) throw new BencodeError('list is not terminated');
  if (pos !== buf.length - 1) throw new BencodeError('trailing bytes after the list');
  return items;
}
