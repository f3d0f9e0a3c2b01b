/** Codes carried by every error this library throws, stable across releases. */
export type FlipperErrorCode =
  | 'FLAG_DOES_NOT_EXIST'
  | 'INVALID_FLAG_NAME'
  | 'INVALID_CONDITION'
  | 'INVALID_BUCKETER'
  | 'INVALID_PERCENTAGE'
  | 'INVALID_ITEM'
  | 'INVALID_ARGUMENT'
  | 'STORE_ERROR'
  | 'TIMEOUT'
  | 'CONNECTION_ERROR'
  | 'CONFLICT'
  | 'OUTCOME_UNKNOWN'
  | 'MESSAGE_TOO_LARGE'
  | 'SYNC_UNSUPPORTED'
  | 'PERMISSION_DENIED'
  | 'HISTORY_UNAVAILABLE';

/** Base of every error the library throws: a stable `code` and the underlying `cause`. */
export class FlipperError extends Error {
  readonly code: FlipperErrorCode;

  constructor(code: FlipperErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A mutation named a flag that is not in the store. */
export class FlagDoesNotExistError extends FlipperError {
  readonly featureName: string;

  constructor(featureName: string) {
    super('FLAG_DOES_NOT_EXIST', `Feature flag ${JSON.stringify(featureName)} does not exist`);
    this.featureName = featureName;
  }
}

/**
 * Base of the errors made of a message (and maybe a `cause`): the code is the class's own
 * `static code`, so each error class is one line of what differs.
 */
export abstract class CodedError extends FlipperError {
  static readonly code: FlipperErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super((new.target as unknown as typeof CodedError).code, message, options);
  }
}

/** A flag name is empty, too long, or not a string. */
export class InvalidFlagNameError extends CodedError {
  static override readonly code = 'INVALID_FLAG_NAME';
}

/** A condition uses an unknown operator or a value the operator cannot take. */
export class InvalidConditionError extends CodedError {
  static override readonly code = 'INVALID_CONDITION';
}

/** A bucketer's JSON has an unknown `type` or fields of the wrong type. */
export class InvalidBucketerError extends CodedError {
  static override readonly code = 'INVALID_BUCKETER';
}

/** A percentage's JSON has an unknown `type` or fields of the wrong type. */
export class InvalidPercentageError extends CodedError {
  static override readonly code = 'INVALID_PERCENTAGE';
}

/** A stored item is not valid JSON or does not have the shape of a flag. */
export class InvalidItemError extends CodedError {
  static override readonly code = 'INVALID_ITEM';
}

/** An argument is out of range or of the wrong type (a negative limit, client data not an object). */
export class InvalidArgumentError extends CodedError {
  static override readonly code = 'INVALID_ARGUMENT';
}

/** The backend failed; `cause` holds its own error. */
export class StoreError extends CodedError {
  static override readonly code = 'STORE_ERROR';
}

/** A network call did not finish within its deadline. */
export class TimeoutError extends CodedError {
  static override readonly code = 'TIMEOUT';
}

/** A connection was refused, lost, or closed while a call was in flight. */
export class ConnectionError extends CodedError {
  static override readonly code = 'CONNECTION_ERROR';
}

/**
 * A reply was larger than the limit set for it (the RPC store's `maxMessageBytes`); the message
 * names the limit and the size. The call failed; the connection goes on serving other calls
 * (with the framed transport; see the README for the buffered one).
 */
export class MessageTooLargeError extends CodedError {
  static override readonly code = 'MESSAGE_TOO_LARGE';
}

/**
 * A conditional write found the flag changed since it was read: another writer got there first.
 * Nothing was written. `update` retries on its own and throws this only when its attempts are
 * spent, or when the caller's expected revision (over RPC) no longer matches.
 */
export class ConflictError extends FlipperError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/**
 * A write whose answer was lost (its deadline passed, or the connection broke, after it may have
 * reached the backend): it may have been applied, or not. Read the flag to know. Never a plain
 * failure: retrying blindly may apply it twice, giving up may leave it applied.
 */
export class OutcomeUnknownError extends FlipperError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OUTCOME_UNKNOWN', message, options);
  }
}

/**
 * `isEnabledSync` on a store that cannot answer without I/O (a backend store, a cache miss): use
 * `await isEnabled`, or a store that holds flags in memory (memory, replica, cache).
 */
export class SyncEvaluationUnsupportedError extends CodedError {
  static override readonly code = 'SYNC_UNSUPPORTED';
}

/**
 * The flag server refused a call for who made it: a write by a read-only identity (its TLS client
 * certificate, under the server's `--authz` policy), a flag outside the identity's prefixes, or a
 * write on a `--read-only` listener. Nothing was written; retrying will not help.
 */
export class PermissionDeniedError extends CodedError {
  static override readonly code = 'PERMISSION_DENIED';
}

/**
 * `client.history` or `client.rollback` on a store that keeps no history: history is kept by the
 * flag server (`ThriftRPCFeatureFlagStore` or a replica of it), and by a server started with
 * history on (`--history-limit` above 0).
 */
export class HistoryUnavailableError extends CodedError {
  static override readonly code = 'HISTORY_UNAVAILABLE';
}
