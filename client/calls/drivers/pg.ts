import type { DriverDeclaration, DriverFailure } from '../driver-failure';
import { errorMessage, socketErrorCode } from './node-socket';

/** SQLSTATEs of a server going away: admin_shutdown, crash_shutdown, cannot_connect_now. */
const SHUTTING_DOWN = new Set(['57P01', '57P02', '57P03']);

/** What pg says, without a SQLSTATE, when a connection ends or cannot be used. */
const CONNECTION_LOST = /Connection terminated|connection error and is not queryable|Client was closed/i;

/** What pg says, without a SQLSTATE, when its own timers fire (query_timeout, connectionTimeoutMillis). */
const PG_TIMEOUT = /timeout/i;

/** pg: a SQLSTATE is PostgreSQL answering (class 08 and the shutdown codes excepted). */
export function classifyPgError(error: unknown): DriverFailure {
  const code = (error as { code?: unknown } | undefined)?.code;
  const detail = errorMessage(error);
  if (socketErrorCode(error)) return { kind: 'unreachable', detail };
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  if (sqlState === '57014') return { kind: 'timeout', detail }; // query_canceled (statement_timeout)
  if (sqlState?.startsWith('08') || (sqlState && SHUTTING_DOWN.has(sqlState))) return { kind: 'unreachable', detail };
  if (sqlState) return { kind: 'refused', detail };
  // "Connection terminated due to connection timeout" is a timeout: this test comes first.
  if (PG_TIMEOUT.test(detail)) return { kind: 'timeout', detail };
  if (CONNECTION_LOST.test(detail)) return { kind: 'unreachable', detail };
  return { kind: 'refused', detail };
}

/** The driver as the backend call path knows it. */
export const PG: DriverDeclaration = { name: 'PostgreSQL', classify: classifyPgError };

/** What pg and pg-pool say when a connection cannot be opened (or is dropped at once). */
const CONNECT_FAILED = /trying to connect|connection timeout|Connection terminated unexpectedly/i;

/** SQLSTATEs of a server that takes no connections now: cannot_connect_now, too_many_connections. */
const NOT_ACCEPTING = new Set(['57P03', '53300']);

/** True when `error` says a connection could not be opened: what the PostgreSQL store's connect gate counts. */
export function isPgConnectFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NOT_ACCEPTING.has(code)) return true;
  return socketErrorCode(error) !== undefined || CONNECT_FAILED.test(errorMessage(error));
}
