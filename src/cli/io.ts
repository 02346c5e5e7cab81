/** Where a CLI run writes; the binary passes process streams, tests capture the text. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A failure the user can act on: printed as one line, exit code 1 (or 2 for usage errors). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/** Bad arguments: exit code 2, like commander's own parse errors. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Left-aligned columns for human-readable listings (`--json` prints the data instead). */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
