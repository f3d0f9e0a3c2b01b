import type { DriverDeclaration, DriverFailure } from '../driver-failure';
import { errorMessage, socketErrorCode } from './node-socket';

/** The messages ioredis gives a command it could not send or whose connection went away. */
const NOT_SENT = /^(Connection is closed\.?|Stream isn't writeable)/;

/** ioredis: `ReplyError` is Redis answering; the rest is the connection's. */
export function classifyIoredisError(error: unknown): DriverFailure {
  const err = error as { name?: unknown } | undefined;
  const detail = errorMessage(error);
  if (err?.name === 'ReplyError') return { kind: 'refused', detail };
  if (/^Command timed out$/.test(detail)) return { kind: 'timeout', detail };
  if (err?.name === 'MaxRetriesPerRequestError' || socketErrorCode(error) || NOT_SENT.test(detail)) {
    return { kind: 'unreachable', detail };
  }
  return { kind: 'refused', detail };
}

/** Why ioredis cannot send a command now: closed, or between reconnects (it would queue the command). */
export function ioredisUnsendable(redis: { status: string }): string | undefined {
  return redis.status === 'end' || redis.status === 'reconnecting'
    ? `not connected (client status "${redis.status}")`
    : undefined;
}

/** The driver as the backend call path knows it. */
export const IOREDIS: DriverDeclaration = { name: 'Redis', classify: classifyIoredisError };
