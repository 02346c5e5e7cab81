import type * as QRCodeLib from 'qrcode';
import type * as PngLib from 'pngjs';

// Required on first use (Node caches them): most processes never draw a QR code; the web page and the CLI do.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, see above
const qrcode = () => require('qrcode') as typeof QRCodeLib;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, see above
const pngjs = () => require('pngjs') as typeof PngLib;

// Medium error correction: readable from a phone screen at a glance, still a small symbol.
const LEVEL = 'M' as const;
/** Quiet zone in modules on each side (the QR standard asks for 4). */
const MARGIN = 4;

/** Inline SVG of the QR code (rendered server-side; works without JavaScript). */
export function qrSvg(text: string): Promise<string> {
  return qrcode().toString(text, { errorCorrectionLevel: LEVEL, margin: MARGIN, type: 'svg' });
}

/**
 * An exactly `size`×`size` PNG (protocol §6.10 invite.png is 512×512): whole pixels per module so the
 * edges stay sharp for scanners, centred on a white square whose border is at least the quiet zone.
 */
export function qrPng(text: string, size = 512): Buffer {
  const { modules } = qrcode().create(text, { errorCorrectionLevel: LEVEL });
  const count = modules.size;
  const scale = Math.max(1, Math.floor(size / (count + 2 * MARGIN)));
  const offset = Math.floor((size - count * scale) / 2);
  const { PNG } = pngjs();
  const png = new PNG({ width: size, height: size, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.alloc(size * size, 0xff);
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (!modules.get(row, col)) continue;
      for (let dy = 0; dy < scale; dy++) {
        const start = (offset + row * scale + dy) * size + offset + col * scale;
        png.data.fill(0, start, start + scale);
      }
    }
  }
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
}

/** The QR code drawn with block characters, for a terminal (CLI `keys show`). */
export function qrTerminal(text: string): Promise<string> {
  return qrcode().toString(text, { errorCorrectionLevel: LEVEL, margin: 2, type: 'utf8' });
}
