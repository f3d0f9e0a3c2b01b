import { ConnectionError, StoreError, TimeoutError, type FlipperError } from '../../shared';

/**
 * What a driver's error says about a call, whatever the driver:
 * - `unreachable`: the backend was never reached, or the connection was lost (`ConnectionError`);
 * - `timeout`: the backend did not answer in time (`TimeoutError`);
 * - `refused`: the backend answered with an error (`StoreError`).
 * A new kind (for instance "outcome unknown" for a write whose answer was lost) is added here, in
 * `typedError`, and in the classifiers that can tell it.
 */
export type FailureKind = 'unreachable' | 'timeout' | 'refused';

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
  }
}

/** True for the failures that mean the backend could not be reached: what the reachability log counts. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof ConnectionError || error instanceof TimeoutError;
}
