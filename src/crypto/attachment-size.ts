/**
 * The size of an attachment as current Session clients (libsession) encrypt it before uploading
 * (protocol §9.1): a 1-byte 'S' marker, a 24-byte secretstream header, then XChaCha20-Poly1305
 * secretstream chunks of 32 KiB, each with a 17-byte MAC and tag, carrying padding and the file.
 * The server never decrypts attachments; it needs these sizes only so its limits accept every
 * attachment a client can produce.
 */

const PREFIX = 1 + 24;
const CHUNK = 32_768;
const CHUNK_OVERHEAD = 17;
const CHUNK_TOTAL = CHUNK + CHUNK_OVERHEAD;

/** The largest plaintext clients encrypt for onion-request transport (larger ones cannot be sent). */
export const ATTACHMENT_MAX_PLAINTEXT = 10_218_286;

/** Padding bytes a client puts before `size` plaintext bytes (at least 1). */
export function attachmentPadding(size: number): number {
  const chunks = Math.ceil(size / CHUNK);
  const unpadded = size + PREFIX + 1 + chunks * CHUNK_OVERHEAD;
  // Round the total up to a 32nd of its highest power of two (at least 4 KiB steps).
  const step = 2 ** Math.floor(Math.log2(Math.max(unpadded, 131_072))) / 32;
  let padding = Math.ceil(unpadded / step) * step - unpadded + 1;
  // Padding that fills chunks brings their MACs with it: those count towards the padded total.
  let implied = Math.floor(padding / CHUNK_TOTAL) * CHUNK_OVERHEAD;
  if (padding % CHUNK_TOTAL > chunks * CHUNK - size) implied += CHUNK_OVERHEAD;
  padding -= implied;
  return padding;
}

/** The exact uploaded size of a `size`-byte file after padding and encryption. */
export function encryptedAttachmentSize(size: number): number {
  const padded = size + attachmentPadding(size);
  return PREFIX + padded + Math.ceil(padded / CHUNK) * CHUNK_OVERHEAD;
}

/** The largest upload a current client produces: 10,223,616 bytes. */
export const ATTACHMENT_MAX_ENCRYPTED = encryptedAttachmentSize(ATTACHMENT_MAX_PLAINTEXT);
