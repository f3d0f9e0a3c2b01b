/**
 * Node's socket and DNS error codes: the backend could not be reached, or the connection broke.
 * Every driver surfaces these unchanged in `code` (sometimes on a wrapped `cause`, or on the
 * first of an `AggregateError`'s errors when Node tried several addresses), so they are listed once.
 */
const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ENOTCONN',
]);

type ErrorLike = { code?: unknown; cause?: unknown; errors?: unknown; message?: unknown; name?: unknown };

/** The socket error code of `error` (or of its cause), or undefined when it is not a socket error. */
export function socketErrorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const err = error as ErrorLike;
  if (typeof err.code === 'string' && SOCKET_ERROR_CODES.has(err.code)) return err.code;
  if (Array.isArray(err.errors) && err.errors.length > 0) return socketErrorCode(err.errors[0], depth + 1);
  return socketErrorCode(err.cause, depth + 1);
}

/**
 * The words of a driver's error: its message, or for an `AggregateError` (whose own message is
 * often empty) the messages of the errors it gathers.
 */
export function errorMessage(error: unknown): string {
  const err = error as ErrorLike | undefined;
  const message = typeof err?.message === 'string' ? err.message : '';
  if (message !== '') return message;
  if (Array.isArray(err?.errors) && err.errors.length > 0) {
    return [...new Set(err.errors.map((e) => errorMessage(e)))].join('; ');
  }
  if (typeof err?.code === 'string') return err.code;
  return String(error);
}
