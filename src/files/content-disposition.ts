/**
 * Upload filenames (protocol §6.6): `Content-Disposition: attachment; filename="x"` or
 * `filename*=UTF-8''<percent-encoded>` (the extended form wins). NUL and `/` become U+FFFD.
 */
export function filenameFromContentDisposition(header: string | undefined): string | null {
  if (!header) return null;
  const params = parseParams(header);
  let name: string | undefined;
  const extended = params.get('filename*');
  if (extended !== undefined) name = decodeExtended(extended);
  if (name === undefined) name = params.get('filename');
  if (name === undefined || name === '') return null;
  return name.replace(/[\0/]/g, '\uFFFD');
}

/** `attachment` or `attachment; filename*=UTF-8''<pct>` with only A–Z a–z 0–9 _ . - ~ left bare (protocol §6.6). */
export function contentDispositionFor(filename: string | null): string {
  if (!filename) return 'attachment';
  let pct = '';
  for (const byte of Buffer.from(filename, 'utf8')) {
    const c = String.fromCharCode(byte);
    pct += /[A-Za-z0-9_.\-~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `attachment; filename*=UTF-8''${pct}`;
}

/** RFC 7231 HTTP-date of a unix time in seconds. */
export function httpDate(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toUTCString();
}

function parseParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = header.indexOf(';');
  if (i < 0) return params;
  while (i < header.length) {
    i++; // past ';'
    while (header[i] === ' ' || header[i] === '\t') i++;
    const eq = header.indexOf('=', i);
    if (eq < 0) break;
    const name = header.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (header[i] === ' ' || header[i] === '\t') i++;
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < header.length && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < header.length) i++;
        value += header[i++];
      }
      i++; // closing quote
      const next = header.indexOf(';', i);
      i = next < 0 ? header.length : next;
    } else {
      const next = header.indexOf(';', i);
      const end = next < 0 ? header.length : next;
      value = header.slice(i, end).trim();
      i = end;
    }
    if (name && !params.has(name)) params.set(name, value);
  }
  return params;
}

/** RFC 5987 `charset'lang'pct-encoded`; UTF-8 or ISO-8859-1. Undefined when malformed. */
function decodeExtended(value: string): string | undefined {
  const m = /^([A-Za-z0-9!#$&+\-^_`{}~]+)'[^']*'(.*)$/.exec(value);
  if (!m) return undefined;
  const charset = m[1].toLowerCase();
  if (charset !== 'utf-8' && charset !== 'iso-8859-1') return undefined;
  const bytes: number[] = [];
  const text = m[2];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString(charset === 'utf-8' ? 'utf8' : 'latin1');
}
