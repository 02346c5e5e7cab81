/**
 * The longest prefix of a list whose JSON array stays within `maxBytes` (REPLY_MAX_BYTES), and never
 * less than the first item: a client that pages on from the last item it got (seqno or id) always
 * makes progress, and no reply is larger than the cap or one message, whichever is more.
 */
export function withinReplyBytes<T>(items: T[], maxBytes: number): T[] {
  if (items.length <= 1) return items;
  let bytes = 1; // "[", then each item with its "," or the closing "]"
  for (const [i, item] of items.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes > maxBytes && i > 0) return items.slice(0, i);
  }
  return items;
}
