// Value conversions from pysogs rows (protocol §8, §7.5). Pure.

export function bool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

export function nullableBool(value: unknown): boolean | null {
  return value === null || value === undefined ? null : bool(value);
}

export function num(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : Number(value);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got ${String(value)}`);
  return n;
}

export function nullableNum(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function bytes(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new Error('expected bytes');
}

export function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') throw new Error('expected text');
  return String(value);
}

/**
 * pysogs stores message data without Session's padding and keeps the padded length in data_size;
 * this server stores the bytes as posted. Re-pad exactly as pysogs does on output (protocol §7.5):
 * 0x80 then zeros up to data_size.
 */
export function repad(data: Buffer, dataSize: number | null): Buffer {
  if (dataSize === null || dataSize <= data.length) return data;
  const padded = Buffer.alloc(dataSize);
  data.copy(padded);
  padded[data.length] = 0x80;
  return padded;
}
