// What the console's routes and the cluster primary (which forwards console requests to the
// workers, and loads neither Nest nor Prisma) agree on: where the console is, how large a request.

export const CONSOLE_PATH = '/console';

/** Form fields (urlencoded) are small; only uploads are larger. */
export const CONSOLE_FORM_LIMIT = 64 * 1024;

/** The largest console request: an upload of the room file limit, plus its form's fields and framing. */
export function consoleUploadLimit(config: { FILE_MAX_SIZE: number }): number {
  return config.FILE_MAX_SIZE + CONSOLE_FORM_LIMIT;
}

export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}
