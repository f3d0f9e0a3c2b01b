/** The TApplicationException type a server sends for a method it does not have. */
const UNKNOWN_METHOD = 1;

/**
 * True for a server's answer (or a generated client's refusal) saying it has no such method: a
 * server older than the method, or another implementation of the Python library's IDL.
 */
export function isUnknownMethodReply(error: unknown): boolean {
  if (error instanceof TypeError) return /has no \w+ \(generated from an older IDL\)/.test(error.message);
  if (typeof error !== 'object' || error === null) return false;
  // npm thrift's servers leave the type out and say so in the message.
  const { type, message } = error as { type?: unknown; message?: unknown };
  return type === UNKNOWN_METHOD || (typeof message === 'string' && /unknown (function|method)/i.test(message));
}

/** The same, for an error the store already mapped to a typed one (the server's answer is its `cause`). */
export function isUnknownMethod(error: unknown): boolean {
  return isUnknownMethodReply(error instanceof Error ? error.cause : undefined);
}
