import type { DriverDeclaration, DriverFailure } from '../driver-failure';
import { errorMessage, socketErrorCode } from './node-socket';

/**
 * The `consul` client (v2, over `papi`): `isTimeout` is its request timer, a socket code the agent
 * unreachable, `isResponse` the agent answering with an HTTP error (its status is added to the words).
 */
export function classifyConsulError(error: unknown): DriverFailure {
  const err = error as { isTimeout?: unknown; isResponse?: unknown; statusCode?: unknown } | undefined;
  const status = err?.isResponse ? ` (HTTP ${String(err.statusCode)})` : '';
  const detail = `${errorMessage(error)}${status}`;
  if (err?.isTimeout === true) return { kind: 'timeout', detail };
  if (socketErrorCode(error)) return { kind: 'unreachable', detail };
  return { kind: 'refused', detail };
}

/** The driver as the backend call path knows it. */
export const CONSUL: DriverDeclaration = { name: 'Consul', classify: classifyConsulError };
