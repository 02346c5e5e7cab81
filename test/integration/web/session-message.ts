import { randomBytes } from 'node:crypto';

/** A padded Session `Content{dataMessage{body, profile{displayName}}}` protobuf (spec §7.5, §9.2). */
export function sessionMessage(body: string, displayName = 'Alice Example'): { data: string; signature: string } {
  const field = (n: number, bytes: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2]), varint(bytes.length), bytes]);
  const profile = field(1, Buffer.from(displayName));
  // DataMessage.profile is field 101: its key (101 << 3 | 2 = 810) is a two-byte varint.
  const dataMessage = Buffer.concat([field(1, Buffer.from(body)), varint((101 << 3) | 2), varint(profile.length), profile]);
  const content = field(1, dataMessage);
  const padded = Buffer.concat([content, Buffer.from([0x80]), Buffer.alloc(159 - (content.length % 160))]);
  return { data: padded.toString('base64'), signature: randomBytes(64).toString('base64') };
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
