import { InvalidArgumentError, InvalidFlagNameError } from './errors';

/** Longest flag name, in characters (UTF-16 code units counted as JavaScript does). */
export const MAX_NAME_LENGTH = 255;

/** Largest client data, in bytes of its JSON. */
export const MAX_CLIENT_DATA_BYTES = 64 * 1024;

/** Deepest nesting accepted in JSON a client sends: deeper values could not be written back safely. */
export const MAX_JSON_DEPTH = 64;

/** Largest call the flag server accepts by default, in bytes (its `maxMessageBytes`). */
export const DEFAULT_MAX_CALL_BYTES = 1024 * 1024;

/** Largest reply the RPC store accepts by default, in bytes (its `maxMessageBytes`): a `List` of many flags. */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** Deepest nesting of structs and containers a Thrift message may have (Thrift's TConfiguration default). */
export const MAX_THRIFT_DEPTH = 64;

/** A UTF-16 surrogate not paired with its other half: no Unicode character, and UTF-8 cannot carry it. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Throws `InvalidFlagNameError` unless `name` is a string of 1 to 255 characters of Unicode text.
 * A lone surrogate is refused: every store and the wire hold names as UTF-8, where it would become
 * U+FFFD, so two different names would name one flag.
 */
export function validateFlagName(name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new InvalidFlagNameError(`A feature flag name must be a string, got ${typeof name}`);
  }
  if (name.length === 0) throw new InvalidFlagNameError('A feature flag name must not be empty');
  if (name.length > MAX_NAME_LENGTH) {
    throw new InvalidFlagNameError(
      `A feature flag name must be at most ${MAX_NAME_LENGTH} characters, got ${name.length}`,
    );
  }
  const surrogate = LONE_SURROGATE.exec(name);
  if (surrogate !== null) {
    const unit = name.charCodeAt(surrogate.index).toString(16).toUpperCase();
    throw new InvalidFlagNameError(
      `A feature flag name must be Unicode text, but ${JSON.stringify(name)} holds a lone surrogate ` +
        `(U+${unit} at index ${surrogate.index}), which UTF-8 cannot carry`,
    );
  }
}

/** Throws `InvalidArgumentError` unless limit and offset are absent or non-negative integers. */
export function validatePage(limit: unknown, offset: unknown): void {
  for (const [label, value] of [
    ['limit', limit],
    ['offset', offset],
  ] as const) {
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new InvalidArgumentError(`${label} must be a non-negative integer, got ${String(value)}`);
    }
  }
}

/**
 * Largest flag by default, in bytes of its stored JSON (name, state, client data, conditions and
 * bucketer together). Stores refuse a write that makes a flag larger (`InvalidArgumentError`), and
 * so does the server (`--max-flag-bytes`): every flag must fit in a reply, and one huge flag costs
 * every reader of it. Half the server's default call size, so a flag always fits in a `SetMeta`.
 */
export const DEFAULT_MAX_FLAG_BYTES = 512 * 1024;

/** Flags in one `ListPage` reply at most, by default (`--list-page-size`); a caller may ask for fewer. */
export const DEFAULT_LIST_PAGE_SIZE = 1000;

/**
 * Bytes of flags after which the server ends a `ListPage` reply, even before its page size (one
 * flag always goes in, so a page is at most this plus one flag).
 */
export const LIST_PAGE_BYTES = 1024 * 1024;
