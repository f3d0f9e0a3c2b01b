import type { DriverDeclaration, DriverFailure } from '../driver-failure';
import { errorMessage, socketErrorCode } from './node-socket';

/**
 * AWS SDK v3 (S3): a socket error (the SDK passes Node's code through, after its retries) is
 * unreachable, its own `TimeoutError`/`AbortError` a timeout; a service error (it has
 * `$metadata.httpStatusCode`) is S3 answering.
 */
export function classifyS3Error(error: unknown): DriverFailure {
  const err = error as { name?: unknown } | undefined;
  const name = typeof err?.name === 'string' ? err.name : 'Error';
  const detail = `${name}: ${errorMessage(error)}`;
  if (socketErrorCode(error)) return { kind: 'unreachable', detail };
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout', detail };
  return { kind: 'refused', detail };
}

/** The driver as the backend call path knows it. */
export const AWS_S3: DriverDeclaration = { name: 'S3', classify: classifyS3Error };
