// A protobuf writer for the few Session messages the server composes itself (a bot's posts and DMs).
// Only the wire types those messages use: varint (0) and length-delimited (2). Pure.

const utf8 = new TextEncoder();

/** One field of a message, in the order it is written; `undefined` values are left out. */
export type ProtoField =
  | { field: number; varint: number | bigint | undefined }
  | { field: number; bytes: Uint8Array | undefined }
  | { field: number; text: string | undefined }
  | { field: number; message: readonly ProtoField[] | undefined };

function varint(value: bigint, out: number[]): void {
  if (value < 0n) throw new RangeError('protobuf varints here are unsigned');
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function lengthDelimited(field: number, payload: Uint8Array, out: number[]): void {
  varint(BigInt((field << 3) | 2), out);
  varint(BigInt(payload.length), out);
  for (const b of payload) out.push(b);
}

/** The encoding of a message made of `fields`. */
export function encodeProto(fields: readonly ProtoField[]): Uint8Array {
  const out: number[] = [];
  for (const f of fields) {
    if ('varint' in f) {
      if (f.varint === undefined) continue;
      varint(BigInt(f.field << 3), out);
      varint(BigInt(f.varint), out);
    } else if ('bytes' in f) {
      if (f.bytes !== undefined) lengthDelimited(f.field, f.bytes, out);
    } else if ('text' in f) {
      if (f.text !== undefined) lengthDelimited(f.field, utf8.encode(f.text), out);
    } else if (f.message !== undefined) {
      lengthDelimited(f.field, encodeProto(f.message), out);
    }
  }
  return new Uint8Array(out);
}
