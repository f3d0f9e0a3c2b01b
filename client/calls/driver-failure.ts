import { ConnectionError, OutcomeUnknownError, StoreError, TimeoutError, type FlipperError } from '../../shared';

/**
 * What a driver's error says about a call, whatever the driver:
 * - `unreachable`: the backend was never reached, or the connection was lost (`ConnectionError`);
 * - `timeout`: the backend did not answer in time (`TimeoutError`);
 * - `refused`: the backend answered with an error (`StoreError`);
 * - `unknown`: a write whose answer was lost after it may have reached the backend
 *   (`OutcomeUnknownError`). Classifiers do not return it: the call path turns a write's `timeout`,
 *   and a connection lost while a write was in flight (`lostInFlight`), into it.
 */
export type FailureKind = 'unreachable' | 'timeout' | 'refused' | 'unknown';

/** A driver's error, classified: its kind and the words that describe it (without our prefix). */
export interface DriverFailure {
  kind: FailureKind;
  detail: string;
}

/** One small function per driver (see `drivers/`): its errors, told apart by code and name. */
export type DriverErrorClassifier = (error: unknown) => DriverFailure;

/** What a driver brings to the call path, the same for every store over it (declared in `drivers/`). */
export interface DriverDeclaration {
  /** The backend in messages and log lines: `'Redis'`, `'PostgreSQL'`. */
  name: string;
  classify: DriverErrorClassifier;
  /** The reachability log's lines, when "<name> is unreachable" / "<name> is reachable again" do not fit. */
  messages?: { failing: string; working: string };
}

/** The library's error for a classified failure; `cause` keeps the driver's own. */
export function typedError(kind: FailureKind, message: string, cause: unknown): FlipperError {
  switch (kind) {
    case 'unreachable':
      return new ConnectionError(message, { cause });
    case 'timeout':
      return new TimeoutError(message);
    case 'refused':
      return new StoreError(message, { cause });
    case 'unknown':
      return new OutcomeUnknownError(`${message}; the write may have been applied`, { cause });
  }
}

/**
 * Socket codes and driver words of a connection that broke after a command may have been sent
 * (as opposed to one refused or never opened, where nothing was sent).
 */
const LOST_IN_FLIGHT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);
const LOST_IN_FLIGHT_WORDS = /Connection terminated|Connection is closed/i;

/** True when a write that failed this way may still have reached the backend. */
export function lostInFlight(socketCode: string | undefined, detail: string): boolean {
  return (socketCode !== undefined && LOST_IN_FLIGHT_CODES.has(socketCode)) || LOST_IN_FLIGHT_WORDS.test(detail);
}

/** True for the failures that mean the backend could not be reached: what the reachability log counts. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof ConnectionError || error instanceof TimeoutError || error instanceof OutcomeUnknownError;
}
