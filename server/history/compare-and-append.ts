import type { HistoryRetention, RecordedContext } from '../../shared/model/history';

/** A flag's stored JSON text; undefined when the flag does not exist. */
export type StoredText = string | undefined;

/**
 * An entry to append; the place that keeps it gives it its version. `S` is how that place holds a
 * flag's stored JSON (the text itself; in memory, the item with its text made when first needed).
 */
export interface NewHistoryEntry<S = string> {
  name: string;
  timeMs: number;
  before: S | undefined;
  after: S | undefined;
  beforeUnknown: boolean;
  context: RecordedContext | undefined;
}

/**
 * Where a history keeps its entries, as the compare-and-append below uses it. Every call made by
 * one `appendIfChanged` or `appendWrite` happens inside one atomic step of that place (a SQLite
 * transaction; one synchronous run in memory), so two recordings of one change never both append.
 */
export interface HistoryEntryTable<S = string> {
  /**
   * The flag's last recorded state: after its newest entry (or as first seen, where the place
   * takes a baseline); undefined when nothing is recorded of it.
   */
  newest(name: string): { after: S | undefined } | undefined;
  append(entry: NewHistoryEntry<S>): void;
  /** True when the two are the same stored JSON. */
  same(a: S, b: S): boolean;
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
export function appendIfChanged<S>(
  table: HistoryEntryTable<S>,
  name: string,
  stored: S | undefined,
  context: RecordedContext | undefined,
  recording: Recording,
): boolean {
  const newest = table.newest(name);
  if (newest === undefined ? stored === undefined : same(table, newest.after, stored)) return false;
  const { nowMs: timeMs, retention } = recording;
  append(
    table,
    { name, timeMs, before: newest?.after, after: stored, beforeUnknown: newest === undefined, context },
    retention,
  );
  return true;
}

/**
 * Inside the write itself (its transaction): the flag was `before` and is now `after`. A `before`
 * that differs from the newest entry is a change nobody recorded yet (another process's write),
 * appended first as made outside the server; then the write, with `context`, if it changed the flag.
 */
export function appendWrite<S>(
  table: HistoryEntryTable<S>,
  name: string,
  change: { before: S | undefined; after: S | undefined },
  context: RecordedContext | undefined,
  recording: Recording,
): void {
  const { nowMs: timeMs, retention } = recording;
  const newest = table.newest(name);
  if (newest !== undefined && !same(table, newest.after, change.before)) {
    const missed = {
      name,
      timeMs,
      before: newest.after,
      after: change.before,
      beforeUnknown: false,
      context: undefined,
    };
    append(table, missed, retention);
  }
  if (same(table, change.before, change.after)) return;
  append(table, { name, timeMs, before: change.before, after: change.after, beforeUnknown: false, context }, retention);
}

function same<S>(table: HistoryEntryTable<S>, a: S | undefined, b: S | undefined): boolean {
  return a === undefined || b === undefined ? a === b : table.same(a, b);
}

// Every entry is one object literal of the same shape (no spreads): this runs on every write.
function append<S>(table: HistoryEntryTable<S>, entry: NewHistoryEntry<S>, retention: HistoryRetention): void {
  table.append(entry);
  table.trim(entry.name, retention, entry.timeMs);
}

/**
 * `reconcile('all')`: compares every stored flag (`stored`: name to stored text) with its newest
 * entry, and appends a deletion for every name with entries that is no longer stored.
 */
export function reconcileAll<S>(
  table: HistoryEntryTable<S>,
  stored: ReadonlyMap<string, S>,
  namesWithEntries: Iterable<string>,
  recording: Recording,
): void {
  for (const [name, text] of stored) appendIfChanged(table, name, text, undefined, recording);
  for (const name of namesWithEntries)
    if (!stored.has(name)) appendIfChanged(table, name, undefined, undefined, recording);
}
