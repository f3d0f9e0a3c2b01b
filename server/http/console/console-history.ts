import type { FeatureFlagStore } from '../../../client/stores/feature-flag-store';
import { describeChange, type ChangeLine } from '../../../shared/model/history-diff';
import type { HistoryRecord, RecordedContext } from '../../../shared/model/history';
import { revisionOf } from '../../../shared/model/revision';
import { isStoredObject, StoredNumber, type StoredJson } from '../../../shared/stored-json';
import type { FlagWriter } from '../../flag-writer';
import { HttpError } from '../http-error';

/** Entries of one history page: when the page asks for no limit, and at most. */
const PAGE_DEFAULT = 20;
const PAGE_MAX = 1000;

/** One entry as `GET /api/flags/NAME/history` answers it. */
export interface ConsoleHistoryEntry {
  version: number;
  timeMs: number;
  /** The server call (or console action) that made it; absent: made outside any flag server. */
  operation?: string;
  actor?: string;
  reason?: string;
  identity?: string;
  peer?: string;
  rollbackTo?: number;
  /** The stored JSON before and after, as text (Python's dialect kept: `NaN` is text here). */
  before?: string;
  after?: string;
  beforeUnknown: boolean;
  changes: ChangeLine[];
}

export interface ConsoleHistoryPage {
  entries: ConsoleHistoryEntry[];
  /** Older entries follow: ask again with `before` = the last entry's version. */
  more: boolean;
  /** The flag's revision now (absent: it does not exist), for a rollback that must not overwrite a newer change. */
  revision?: string;
}

/** `GET /api/flags/NAME/history?limit=&before=`: newest first, with each change's readable lines. */
export async function historyPage(
  writer: FlagWriter,
  store: FeatureFlagStore,
  name: string,
  query: URLSearchParams,
): Promise<ConsoleHistoryPage> {
  const limit = integerParameter(query, 'limit', 1, PAGE_MAX) ?? PAGE_DEFAULT;
  const beforeVersion = integerParameter(query, 'before', 1, Number.MAX_SAFE_INTEGER);
  // Read before the history so that a change landing in between shows as a conflict, not as lost.
  const item = await store.get(name);
  const records = await writer.entries(name, {
    limit: limit + 1,
    ...(beforeVersion !== undefined && { beforeVersion }),
  });
  const revision = item === undefined ? undefined : revisionOf(item);
  return {
    entries: records.slice(0, limit).map(entryOf),
    more: records.length > limit,
    ...(revision !== undefined && { revision }),
  };
}

/** `POST /api/flags/NAME/rollback` with `{version, expectedRevision?, reason?}`: answers the new entry. */
export async function rollbackFromConsole(
  writer: FlagWriter,
  name: string,
  body: StoredJson,
  context: RecordedContext,
): Promise<ConsoleHistoryEntry> {
  if (!isStoredObject(body)) throw new HttpError(400, 'the body must be a JSON object with "version"');
  const { expectedRevision, reason } = body;
  const given = body.version;
  const version = given instanceof StoredNumber && /^\d+$/.test(given.text) ? Number(given.text) : undefined;
  if (version === undefined || !Number.isSafeInteger(version) || version < 1) {
    throw new HttpError(400, '"version" must be a positive integer (an entry of the flag\'s history)');
  }
  if (expectedRevision !== undefined && expectedRevision !== null && typeof expectedRevision !== 'string') {
    throw new HttpError(400, '"expectedRevision" must be a string');
  }
  if (reason !== undefined && reason !== null && typeof reason !== 'string') {
    throw new HttpError(400, '"reason" must be a string');
  }
  const recorded = { ...context, ...(typeof reason === 'string' && reason.trim() !== '' && { reason: reason.trim() }) };
  const expected = typeof expectedRevision === 'string' && expectedRevision !== '' ? expectedRevision : undefined;
  return entryOf(await writer.rollBack(name, version, recorded, expected));
}

function entryOf(record: HistoryRecord): ConsoleHistoryEntry {
  const { version, timeMs, before, after, context } = record;
  return {
    version,
    timeMs,
    ...context,
    ...(before !== undefined && { before }),
    ...(after !== undefined && { after }),
    beforeUnknown: record.beforeUnknown === true,
    changes: describeChange(record),
  };
}

function integerParameter(query: URLSearchParams, key: string, min: number, max: number): number | undefined {
  const text = query.get(key);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new HttpError(400, `${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}
