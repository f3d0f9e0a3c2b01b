/**
 * The one place that converts between the generated Thrift structs (`gen-nodejs/`) and the flag
 * model, in both directions, for the server and the RPC client alike. JSON fields travel as text;
 * a condition travels as a map of variable -> checks (the Python client sends one check per map).
 *
 * The generated code (and with it the `thrift` package) is loaded on first use, so importing the
 * library does not pay for it.
 */
import type * as T from '../../gen-nodejs/feature_flag_store_types';
import type { BucketerFactoryOptions } from '../bucketing/bucketer-factory';
import type { Bucketer } from '../bucketing/bucketer';
import { NoOpBucketer } from '../bucketing/noop-bucketer';
import { Check } from '../conditions/check';
import { Condition } from '../conditions/condition';
import { isOperatorSymbol, operatorFor } from '../conditions/operator';
import {
  bucketerFromStored,
  bucketerToStored,
  checkValueToStored,
  clientDataFromStored,
  clientDataToStored,
  remembered,
} from '../model/stored-codec';
import { decodeStored, isStoredObject, writeStoredJson } from '../stored-json';
import {
  ConflictError,
  FlagDoesNotExistError,
  FlipperError,
  OutcomeUnknownError,
  PermissionDeniedError,
  InvalidArgumentError,
  InvalidBucketerError,
  InvalidConditionError,
  InvalidItemError,
  StoreError,
} from '../errors';
import type { ClientData } from '../json';
import { describeJson, parseJsonText } from '../json-text';
import { MAX_CLIENT_DATA_BYTES, validateFlagName } from '../limits';
import { FeatureFlagStoreItem } from '../model/item';
import { FeatureFlagStoreMeta, type FeatureFlagStoreMetaInit } from '../model/meta';
import { rememberRevision, revisionOf } from '../model/revision';
import { i64ToBigInt, int64FromNumber } from './wire/int64';
import { memoizeWrite } from './wire/memoized-write';
import type { I64Value } from './wire/types';
import { generatedWriterMap, listOf } from './generated-map';

export type ThriftTypes = typeof T;
export type ThriftItem = T.FeatureFlagStoreItem;
export type ThriftMeta = T.FeatureFlagStoreMeta;
export type ThriftCondition = { [variable: string]: T.ConditionCheck[] };
export type ThriftException = T.FlipperException;

let loaded: ThriftTypes | undefined;

/** The generated struct classes, loaded on first use. */
export function thriftTypes(): ThriftTypes {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('../../gen-nodejs/feature_flag_store_types') as ThriftTypes;
  return loaded;
}

// ---------------------------------------------------------------- model -> Thrift

/**
 * Items are immutable, so a store that hands out the same item again gets the same struct back,
 * which encodes once per protocol and is copied after that (the struct is never changed).
 */
const converted = new WeakMap<FeatureFlagStoreItem, ThriftItem>();

/**
 * A reply item: every field set, as the Python client needs (it reads them without checking).
 * `remember` false leaves an item read for one reply (a page of a `List`) out of the cache: many
 * short-lived entries make every garbage collection slower.
 */
export function itemToThrift(item: FeatureFlagStoreItem, remember = true): ThriftItem {
  let wire = converted.get(item);
  if (wire === undefined) {
    wire = convertItem(item);
    if (remember) converted.set(item, wire);
  }
  return wire;
}

function convertItem(item: FeatureFlagStoreItem): ThriftItem {
  if (!isI64(item.meta.createdDate)) {
    throw new InvalidItemError(
      `Feature flag ${JSON.stringify(item.featureName)} cannot be sent: its created_date ` +
        `${String(item.meta.createdDate)} is not an i64 (an integer from -2^63 to 2^63 - 1)`,
    );
  }
  return memoizeWrite(
    new (thriftTypes().FeatureFlagStoreItem)({
      feature_name: item.featureName,
      is_enabled: item.isEnabled,
      meta: metaToThrift(item.meta),
      revision: revisionOf(item),
    }),
  );
}

const I64_LIMIT = 2 ** 63;

/** True for a number the wire's i64 carries (as JavaScript numbers are: 2^63 itself rounds from 2^63 - 1 and is not). */
function isI64(n: number): boolean {
  return Number.isFinite(n) && n >= -I64_LIMIT && n < I64_LIMIT;
}

/** Meta with every field set: JSON fields as text (Python's dialect, every unchanged number as it was read). */
export function metaToThrift(meta: FeatureFlagStoreMeta): ThriftMeta {
  if (!isI64(meta.createdDate)) {
    throw new InvalidArgumentError(
      `meta.createdDate ${String(meta.createdDate)} cannot be sent: the wire carries an i64 (an integer from -2^63 to 2^63 - 1)`,
    );
  }
  return new (thriftTypes().FeatureFlagStoreMeta)({
    created_date: int64FromNumber(meta.createdDate),
    client_data: writeStoredJson(clientDataToStored(meta.clientData)),
    conditions: meta.conditions.map(conditionToThrift),
    bucketer: writeStoredJson(bucketerToStored(meta.bucketer)),
  });
}

/**
 * One condition as a map of variable -> checks; equality sends an operator struct with no symbol.
 * Every variable (`__proto__`, `hasOwnProperty`...) is an ordinary key (see `generatedWriterMap`).
 */
function conditionToThrift(condition: Condition): ThriftCondition {
  const t = thriftTypes();
  return generatedWriterMap(
    condition.variables.map((variable) => [
      variable,
      condition.checksFor(variable)!.map(
        (check) =>
          new t.ConditionCheck({
            variable,
            value: writeStoredJson(checkValueToStored(check)),
            operator: new t.ConditionOperator({ symbol: check.operator ?? undefined }),
          }),
      ),
    ]),
  );
}

// ---------------------------------------------------------------- Thrift -> model

/** A flag name argument: absent, empty or too long is a typed error naming it. */
export function flagNameFromThrift(value: unknown, argument = 'feature_name'): string {
  if (value === null || value === undefined) throw new InvalidArgumentError(`${argument} is required`);
  validateFlagName(value);
  return value;
}

/** `client_data` JSON text: absent is `{}`; not JSON, not an object, too deep or over 64 KiB is refused. */
export function clientDataFromThrift(text: unknown, argument = 'client_data', trusted = false): ClientData {
  if (text === null || text === undefined) return {};
  if (typeof text !== 'string') throw new InvalidArgumentError(`${argument} must be JSON text`);
  const bytes = trusted ? 0 : Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CLIENT_DATA_BYTES) {
    throw new InvalidArgumentError(`${argument} is ${bytes} bytes, over the ${MAX_CLIENT_DATA_BYTES}-byte limit`);
  }
  const tree = parseJsonText(text, argument, InvalidArgumentError, trusted);
  if (!isStoredObject(tree)) {
    throw new InvalidArgumentError(`${argument} must be a JSON object, got ${describeJson(tree)}`);
  }
  return clientDataFromStored(tree, InvalidArgumentError, argument);
}

/** A bucketer's JSON text; absent is the no-op bucketer. Unknown types are `InvalidBucketerError`. */
export function bucketerFromThrift(text: unknown, options?: BucketerFactoryOptions, trusted = false): Bucketer {
  if (text === null || text === undefined) return new NoOpBucketer();
  if (typeof text !== 'string') throw new InvalidBucketerError('bucketer must be JSON text');
  return bucketerFromStored(parseJsonText(text, 'bucketer', InvalidBucketerError, trusted), options);
}

/**
 * Conditions as sent: each map becomes one condition holding its checks. Splitting or grouping
 * checks never changes what a flag evaluates to (every condition must hold). `stored` keeps a
 * malformed `in` check (as stores do) instead of refusing it (as a write must).
 */
export function conditionsFromThrift(list: unknown, stored = false): Condition[] {
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw new InvalidConditionError('conditions must be a list');
  return list.map((map: unknown, i) => {
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      throw new InvalidConditionError(`conditions[${i}] must be a map of variable to checks`);
    }
    const byVariable = new Map<string, Check[]>();
    for (const [key, value] of mapEntries(map)) {
      const checks = listOf(value);
      if (checks === undefined) throw new InvalidConditionError(`conditions[${i}]["${key}"] must be a list`);
      for (const raw of checks) {
        const check = checkFromThrift(raw, key, stored);
        const group = byVariable.get(check.variable);
        if (group) group.push(check);
        else byVariable.set(check.variable, [check]);
      }
    }
    return Condition.fromChecks(byVariable);
  });
}

/**
 * The entries of a map as the generated reader builds it: with `obj[key] = value`, so a key
 * `__proto__` replaced the object's prototype with its value (a list of checks) instead of being
 * stored. That list is taken back as the entry it was.
 */
function mapEntries(map: object): Array<[string, unknown]> {
  const entries: Array<[string, unknown]> = Object.entries(map);
  const proto: unknown = Object.getPrototypeOf(map);
  if (proto !== Object.prototype && proto !== null) entries.push(['__proto__', proto]);
  return entries;
}

function checkFromThrift(raw: unknown, key: string, stored: boolean): Check {
  const t = (raw ?? {}) as Partial<T.ConditionCheck>;
  const variable = t.variable ?? key;
  if (typeof variable !== 'string') {
    throw new InvalidConditionError(`a condition check under "${key}" has no variable name`);
  }
  if (t.value === null || t.value === undefined) {
    throw new InvalidConditionError(`the condition check on "${variable}" has no value`);
  }
  const tree = parseJsonText(t.value, () => `the condition value for "${variable}"`, InvalidConditionError, stored);
  const symbol = t.operator?.symbol ?? null;
  if (symbol !== null && !isOperatorSymbol(symbol)) operatorFor(symbol); // throws, naming the operator
  return remembered(new Check(variable, decodeStored(tree), symbol as Check['operator'], stored), tree);
}

/**
 * The meta fields a client sent, each parsed and validated; absent fields are left out so the
 * caller decides what absence means (the server keeps the stored value). `stored` is for what a
 * server sends back: malformed `in` checks are kept (as stores keep them), and size and depth
 * limits (which guard the server) are not applied.
 */
export function metaFieldsFromThrift(
  meta: Partial<ThriftMeta>,
  options?: BucketerFactoryOptions,
  stored = false,
): Partial<FeatureFlagStoreMetaInit> {
  const fields: Partial<FeatureFlagStoreMetaInit> = {};
  if (meta.created_date !== null && meta.created_date !== undefined) {
    fields.createdDate = i64ToNumber(meta.created_date as I64Value);
    // Past 2^53 a number no longer holds the integer sent: it could not be stored and sent back intact.
    if (!stored && !Number.isSafeInteger(fields.createdDate)) {
      throw new InvalidArgumentError(
        `meta.created_date must be an integer from -(2^53 - 1) to 2^53 - 1 (Unix seconds), got ${String(
          i64ToBigInt(meta.created_date as I64Value),
        )}`,
      );
    }
  }
  if (meta.client_data !== null && meta.client_data !== undefined) {
    fields.clientData = clientDataFromThrift(meta.client_data, 'meta.client_data', stored);
  }
  if (meta.conditions !== null && meta.conditions !== undefined) {
    fields.conditions = conditionsFromThrift(meta.conditions, stored);
  }
  if (meta.bucketer !== null && meta.bucketer !== undefined) {
    fields.bucketer = bucketerFromThrift(meta.bucketer, options, stored);
  }
  return fields;
}

/** An item from a reply; anything malformed is `InvalidItemError` naming the flag and the problem. */
export function itemFromThrift(item: Partial<ThriftItem>, options?: BucketerFactoryOptions): FeatureFlagStoreItem {
  const name = item.feature_name;
  if (typeof name !== 'string') throw new InvalidItemError('The server sent a flag with no feature_name');
  try {
    const fields = metaFieldsFromThrift(item.meta ?? {}, options, true);
    const result = new FeatureFlagStoreItem(
      name,
      item.is_enabled ?? false,
      new FeatureFlagStoreMeta({ createdDate: 0, ...fields }),
    );
    if (typeof item.revision === 'string') rememberRevision(result, item.revision);
    return result;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidItemError(`The server sent flag ${JSON.stringify(name)} malformed: ${reason}`, { cause: error });
  }
}

/** `List`'s limit and offset: absent limit is all, absent offset 0, negative ones are refused. */
export function pageFromThrift(limit: unknown, offset: unknown): { limit?: number; offset: number } {
  const page: { limit?: number; offset: number } = { offset: 0 };
  if (limit !== null && limit !== undefined) {
    const n = i64ToNumber(limit as I64Value);
    if (n < 0) throw new InvalidArgumentError(`limit must be a non-negative integer, got ${n}`);
    if (n < Number.MAX_SAFE_INTEGER) page.limit = n;
  }
  if (offset !== null && offset !== undefined) {
    const n = i64ToNumber(offset as I64Value);
    if (n < 0) throw new InvalidArgumentError(`offset must be a non-negative integer, got ${n}`);
    page.offset = Math.min(n, Number.MAX_SAFE_INTEGER);
  }
  return page;
}

/** An i64 (number or node-int64) as a number; values beyond 2^53 lose precision, never sign. */
function i64ToNumber(value: I64Value): number {
  return typeof value === 'number' ? Math.trunc(value) : Number(i64ToBigInt(value));
}

// ---------------------------------------------------------------- errors

/** The FlipperException code for an error: what the caller did wrong, missing, or the store's fault. */
export function errorToThrift(error: unknown): ThriftException {
  const t = thriftTypes();
  if (error instanceof FlagDoesNotExistError) {
    return new t.FlipperException({ code: t.ErrorCode.NOT_FOUND, message: error.message });
  }
  if (error instanceof ConflictError) {
    return new t.FlipperException({ code: t.ErrorCode.CONFLICT, message: error.message });
  }
  if (error instanceof OutcomeUnknownError) {
    return new t.FlipperException({ code: t.ErrorCode.OUTCOME_UNKNOWN, message: error.message });
  }
  if (error instanceof InvalidItemError) {
    return new t.FlipperException({ code: t.ErrorCode.INVALID_ITEM, message: error.message });
  }
  if (error instanceof PermissionDeniedError) {
    return new t.FlipperException({ code: t.ErrorCode.PERMISSION_DENIED, message: error.message });
  }
  if (isCallerError(error)) {
    return new t.FlipperException({ code: t.ErrorCode.INVALID_ARGUMENT, message: error.message });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new t.FlipperException({ code: t.ErrorCode.INTERNAL, message: `The store failed: ${reason}` });
}

/** True for errors caused by what the caller sent, as opposed to the store failing. */
function isCallerError(error: unknown): error is FlipperError {
  return (
    error instanceof FlipperError &&
    ['INVALID_FLAG_NAME', 'INVALID_CONDITION', 'INVALID_BUCKETER', 'INVALID_PERCENTAGE', 'INVALID_ARGUMENT'].includes(
      error.code,
    )
  );
}

/**
 * A typed error for what a server answered: NOT_FOUND is `FlagDoesNotExistError`, INVALID_ARGUMENT
 * `InvalidArgumentError`, CONFLICT `ConflictError`, OUTCOME_UNKNOWN `OutcomeUnknownError`, INVALID_ITEM
 * `InvalidItemError`, PERMISSION_DENIED `PermissionDeniedError`, anything else (INTERNAL, an
 * application exception) `StoreError`.
 */
export function errorFromThrift(error: unknown, featureName = ''): FlipperError {
  if (error instanceof FlipperError) return error;
  const t = thriftTypes();
  if (isFlipperException(error)) {
    if (error.code === t.ErrorCode.NOT_FOUND) {
      // The server's words when it gave some (a rollback names the version it could not find).
      const missing = new FlagDoesNotExistError(featureName);
      if (error.message !== '') missing.message = error.message;
      return missing;
    }
    if (error.code === t.ErrorCode.INVALID_ARGUMENT) return new InvalidArgumentError(error.message);
    if (error.code === t.ErrorCode.CONFLICT) return new ConflictError(error.message);
    if (error.code === t.ErrorCode.INVALID_ITEM) {
      return new InvalidItemError(`The flag server: ${error.message}`, { cause: error });
    }
    if (error.code === t.ErrorCode.PERMISSION_DENIED) return new PermissionDeniedError(error.message);
    if (error.code === t.ErrorCode.OUTCOME_UNKNOWN) {
      return new OutcomeUnknownError(`The flag server: ${error.message}`, { cause: error });
    }
    return new StoreError(`The flag server failed: ${error.message}`, { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreError(`The flag server failed: ${reason}`, { cause: error });
}

/** True when a server answer is FlipperException NOT_FOUND. */
export function isNotFound(error: unknown): boolean {
  return isFlipperException(error) && error.code === thriftTypes().ErrorCode.NOT_FOUND;
}

/**
 * A `FlipperException` a server answered, whoever's generated code decoded it: by its shape, not
 * `instanceof`. A generated client the application passes in (its own `thrift --gen js:node` of our
 * IDL, or the Python library's) builds instances of its own class, never of the package's.
 */
function isFlipperException(error: unknown): error is { name: string; code: number; message: string } {
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | null | undefined;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.name === 'FlipperException' &&
    typeof e.code === 'number' &&
    typeof e.message === 'string'
  );
}
