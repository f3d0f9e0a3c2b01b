import type { HistoryRetention, RecordedContext } from '../../shared/model/history';

/** A flag's stored JSON text; undefined when the flag does not exist. */
export type StoredText = string | undefined;

/** An entry to append; the place that keeps it gives it its version. */
export interface NewHistoryEntry {
  name: string;
  timeMs: number;
  before: StoredText;
  after: StoredText;
  beforeUnknown: boolean;
  context: RecordedContext | undefined;
}

/**
 * Where a history keeps its entries, as the compare-and-append below uses it. Every call made by
 * one `appendIfChanged` or `appendWrite` happens inside one atomic step of that place (a SQLite
 * transaction; one synchronous run in memory), so two recordings of one change never both append.
 */
export interface HistoryEntryTable {
  /**
   * The flag's last recorded state: after its newest entry (or as first seen, where the place
   * takes a baseline); undefined when nothing is recorded of it.
   */
  newest(name: string): { after: StoredText } | undefined;
  append(entry: NewHistoryEntry): void;
  /** Drops the flag's entries beyond `retention` counted at `nowMs`; its newest entry always stays. */
  trim(name: string, retention: HistoryRetention, nowMs: number): void;
}

export interface Recording {
  retention: HistoryRetention;
  nowMs: number;
}

/**
 * After the fact: the flag is now `stored`; if that differs from its newest entry, appends the
 * change with `context` (undefined: made outside the server). A flag with no entry that exists
 * now is appended with `beforeUnknown` (it may have existed before the history began); one with
 * no entry that does not exist records nothing. True when it appended.
 */
export function appendIfChanged(
  table: HistoryEntryTable,
  name: string,
  stored: StoredText,
  context: RecordedContext | undefined,
  recording: Recording,
): boolean {
  const newest = table.newest(name);
  if (newest === undefined ? stored === undefined : newest.after === stored) return false;
  append(
    table,
    { name, before: newest?.after, after: stored, beforeUnknown: newest === undefined, context },
    recording,
  );
  return true;
}

/**
 * Inside the write itself (its transaction): the flag was `before` and is now `after`. A `before`
 * that differs from the newest entry is a change nobody recorded yet (another process's write),
 * appended first as made outside the server; then the write, with `context`, if it changed the flag.
 */
export function appendWrite(
  table: HistoryEntryTable,
  name: string,
  change: { before: StoredText; after: StoredText },
  context: RecordedContext | undefined,
  recording: Recording,
): void {
  const newest = table.newest(name);
  if (newest !== undefined && newest.after !== change.before) {
    append(
      table,
      { name, before: newest.after, after: change.before, beforeUnknown: false, context: undefined },
      recording,
    );
  }
  if (change.before === change.after) return;
  append(table, { name, ...change, beforeUnknown: false, context }, recording);
}

function append(
  table: HistoryEntryTable,
  entry: Omit<NewHistoryEntry, 'timeMs'>,
  { retention, nowMs }: Recording,
): void {
  table.append({ ...entry, timeMs: nowMs });
  table.trim(entry.name, retention, nowMs);
}

/**
 * `reconcile('all')`: compares every stored flag (`stored`: name to stored text) with its newest
 * entry, and appends a deletion for every name with entries that is no longer stored.
 */
export function reconcileAll(
  table: HistoryEntryTable,
  stored: ReadonlyMap<string, string>,
  namesWithEntries: Iterable<string>,
  recording: Recording,
): void {
  for (const [name, text] of stored) appendIfChanged(table, name, text, undefined, recording);
  for (const name of namesWithEntries)
    if (!stored.has(name)) appendIfChanged(table, name, undefined, undefined, recording);
}
