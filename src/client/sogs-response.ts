/** A decoded inner reply (protocol §4.5); `code` is the outer status when the gateway refused the frame. */
export class SogsResponse {
  constructor(
    readonly code: number,
    /** header names lower-case */
    readonly headers: Record<string, string>,
    readonly body: Buffer,
    /** HTTP status of the outer onion POST (200 whenever the frame was accepted) */
    readonly outerStatus: number,
  ) {}

  json<T = unknown>(): T {
    return JSON.parse(this.body.toString('utf8')) as T;
  }

  text(): string {
    return this.body.toString('utf8');
  }
}

/** One element of a /batch or /sequence reply (protocol §6.1). */
export interface BatchSubResponse {
  code: number;
  headers: Record<string, string>;
  /** parsed JSON for application/json sub-responses, else base64 of the raw bytes */
  body: unknown;
}

export class BatchResponse extends SogsResponse {
  /** the sub-responses when the batch itself succeeded, else [] */
  readonly items: BatchSubResponse[];

  constructor(res: SogsResponse) {
    super(res.code, res.headers, res.body, res.outerStatus);
    let items: BatchSubResponse[] = [];
    if (res.code === 200) {
      const parsed: unknown = res.json();
      if (Array.isArray(parsed)) items = parsed as BatchSubResponse[];
    }
    this.items = items;
  }
}

/** The reply could not be read (bad decryption or framing): a server or path fault, not an inner status. */
export class SogsClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SogsClientError';
  }
}
