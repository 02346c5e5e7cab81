/** The image formats Session shows as a room image, by their leading bytes (PNG, JPEG, GIF, WebP). Pure. */
export function imageType(body: Uint8Array): 'png' | 'jpeg' | 'gif' | 'webp' | null {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (/^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1'))) return 'gif';
  if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return null;
}

/** The Content-Type to serve bytes as: the image type when they are one, else opaque bytes (with nosniff). */
export function imageContentType(body: Uint8Array): string {
  const type = imageType(body);
  return type ? `image/${type}` : 'application/octet-stream';
}
