import type { BucketerFactoryOptions } from '../bucketing/bucketer-factory';
import { InvalidArgumentError } from '../errors';
import { deserializeItem } from '../model/codec';
import type { FeatureFlagStoreItem } from '../model/item';
import type { HistoryEntry, HistoryRecord, RecordedContext, WriteContext } from '../model/history';
import { thriftTypes } from './mapping';
import { i64ToBigInt, int64FromNumber } from './wire/int64';
import type { I64Value } from './wire/types';

/** Longest actor or reason accepted, in characters. */
export const MAX_CONTEXT_TEXT = 1024;

/** A write's declared context from the wire: undefined when absent; INVALID_ARGUMENT when a field is not one line of text. */
export function writeContextFromThrift(value: unknown): WriteContext | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value as { actor?: unknown; reason?: unknown };
  const actor = contextText(v.actor, 'context.actor');
  const reason = contextText(v.reason, 'context.reason');
  return { ...(actor !== undefined && { actor }), ...(reason !== undefined && { reason }) };
}

/** Checks a declared actor or reason (the library checks before sending, the server on receipt). */
export function contextText(value: unknown, argument: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(`${argument} must be a string`);
  // eslint-disable-next-line no-control-regex -- control characters (newlines, escapes) would forge log and table lines
  if (value.length > MAX_CONTEXT_TEXT || /[\0-\x1f\x7f]/.test(value)) {
    throw new InvalidArgumentError(`${argument} must be one line of at most ${MAX_CONTEXT_TEXT} characters`);
  }
  return value;
}

/** The `WriteContext` argument of a write, or undefined (sent as absent) when there is nothing to say. */
export function writeContextToThrift(context: WriteContext | undefined): object | undefined {
  if (context === undefined || (context.actor === undefined && context.reason === undefined)) return undefined;
  return new (thriftTypes().WriteContext)({ actor: context.actor, reason: context.reason });
}

/** A recorded change as a `HistoryEntry` struct. */
export function historyRecordToThrift(record: HistoryRecord): object {
  const c: RecordedContext = record.context ?? {};
  return new (thriftTypes().HistoryEntry)({
    feature_name: record.featureName,
    version: int64FromNumber(record.version),
    time_ms: int64FromNumber(record.timeMs),
    operation: c.operation,
    actor: c.actor,
    reason: c.reason,
    identity: c.identity,
    peer: c.peer,
    before: record.before,
    after: record.after,
    before_unknown: record.beforeUnknown === true,
    rollback_to: c.rollbackTo === undefined ? undefined : int64FromNumber(c.rollbackTo),
  });
}

/** The `HistoryPage` reply: `next_before_version` set when the page is full (an older one may follow). */
export function historyPageToThrift(records: readonly HistoryRecord[], limit: number): object {
  const last = records[records.length - 1];
  return new (thriftTypes().HistoryPage)({
    entries: records.map(historyRecordToThrift),
    next_before_version: records.length >= limit && last !== undefined ? int64FromNumber(last.version) : undefined,
  });
}

interface WireEntry {
  feature_name?: unknown;
  version?: unknown;
  time_ms?: unknown;
  operation?: unknown;
  actor?: unknown;
  reason?: unknown;
  identity?: unknown;
  peer?: unknown;
  before?: unknown;
  after?: unknown;
  before_unknown?: unknown;
  rollback_to?: unknown;
}

/** A `HistoryEntry` from the wire, its before and after parsed (left undefined, text kept, when they do not parse). */
export function historyEntryFromThrift(value: unknown, options?: BucketerFactoryOptions): HistoryEntry {
  const v = (value ?? {}) as WireEntry;
  const text = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const operation = text(v.operation);
  const rollbackTo = optionalI64(v.rollback_to);
  return {
    featureName: text(v.feature_name) ?? '',
    version: optionalI64(v.version) ?? 0,
    time: new Date(optionalI64(v.time_ms) ?? 0),
    ...(operation !== undefined && { operation }),
    external: operation === undefined,
    ...optional('actor', text(v.actor)),
    ...optional('reason', text(v.reason)),
    ...optional('identity', text(v.identity)),
    ...optional('peer', text(v.peer)),
    ...(rollbackTo !== undefined && { rollbackTo }),
    ...optional('before', parsed(text(v.before), options)),
    ...optional('after', parsed(text(v.after), options)),
    ...optional('beforeJson', text(v.before)),
    ...optional('afterJson', text(v.after)),
    beforeUnknown: v.before_unknown === true,
  };
}

/** The `next_before_version` of a `HistoryPage`, if any. */
export function nextBeforeVersionFromThrift(page: unknown): number | undefined {
  return optionalI64((page as { next_before_version?: unknown } | null)?.next_before_version);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function parsed(text: string | undefined, options?: BucketerFactoryOptions): FeatureFlagStoreItem | undefined {
  if (text === undefined) return undefined;
  try {
    return deserializeItem(text, options);
  } catch {
    return undefined;
  }
}

function optionalI64(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  try {
    return Number(i64ToBigInt(value as I64Value));
  } catch {
    return undefined;
  }
}

/** A version argument from the wire (`before_version`, `to_version`): undefined when absent; INVALID_ARGUMENT when negative. */
export function versionFromThrift(value: unknown, argument: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  const version = optionalI64(value);
  if (version === undefined || !Number.isSafeInteger(version) || version < 0) {
    throw new InvalidArgumentError(`${argument} must be a version (a non-negative integer)`);
  }
  return version;
}
