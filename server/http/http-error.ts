/** A refused HTTP request: its status and a message for the body (never a secret). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Headers the refusal carries (`WWW-Authenticate`, `Retry-After`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
