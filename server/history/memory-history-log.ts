import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { serializeItem, type FeatureFlagStoreItem } from '../../shared';
import type { HistoryQuery, HistoryRecord, HistoryRetention, RecordedContext } from '../../shared/model/history';
import type { HistoryLog } from './history-log';
import {
  appendIfChanged,
  reconcileAll,
  type HistoryEntryTable,
  type NewHistoryEntry,
  type Recording,
  type StoredText,
} from './compare-and-append';

export interface MemoryHistoryLogOptions {
  retention: HistoryRetention;
  /** Time of the entries and of retention, in ms since the epoch. Default `Date.now`. */
  clock?: () => number;
}

interface MemoryEntry extends NewHistoryEntry {
  version: number;
}

/**
 * The history of a store with no place for one (the memory store; any store without a history of
 * its own), kept in this process: gone with it, and each server over a shared backend keeps its
 * own. Versions are this log's counter. A flag's state is `serializeItem` of what the store's `get`
 * returns.
 *
 * `open` notes every flag's state as a baseline, so a flag's first change has a known `before`
 * (for the memory store, which lives in this process, the baseline is exact).
 */
export class MemoryHistoryLog implements HistoryLog {
  private readonly retention: HistoryRetention;
  private readonly clock: () => number;
  private head = 0;
  /** Each flag's entries, oldest first. */
  private readonly byName = new Map<string, MemoryEntry[]>();
  /** Each flag's state when the log opened, until its first entry (absent: did not exist). */
  private baseline: Map<string, string> | undefined;
  private recording: Promise<void> = Promise.resolve();
  private readonly table: HistoryEntryTable = {
    newest: (name) => {
      const entries = this.byName.get(name);
      if (entries !== undefined) return { after: entries[entries.length - 1].after };
      return this.baseline === undefined ? undefined : { after: this.baseline.get(name) };
    },
    append: (entry) => {
      this.baseline?.delete(entry.name);
      const entries = this.byName.get(entry.name);
      const appended = { ...entry, version: ++this.head };
      if (entries === undefined) this.byName.set(entry.name, [appended]);
      else entries.push(appended);
    },
    // As the SQLite log: age only when the oldest entry is too old, then count from the oldest.
    trim: (name, { maxEntriesPerFlag, maxAgeMs }, nowMs) => {
      let entries = this.byName.get(name)!;
      const newest = entries[entries.length - 1];
      if (entries[0].timeMs < nowMs - maxAgeMs) {
        entries = entries.filter((e) => e === newest || e.timeMs >= nowMs - maxAgeMs);
        this.byName.set(name, entries);
      }
      if (entries.length > maxEntriesPerFlag) entries.splice(0, entries.length - maxEntriesPerFlag);
    },
  };

  constructor(
    private readonly store: FeatureFlagStore,
    options: MemoryHistoryLogOptions,
  ) {
    this.retention = options.retention;
    this.clock = options.clock ?? Date.now;
  }

  async open(): Promise<void> {
    const baseline = new Map<string, string>();
    for (const item of await this.store.list()) baseline.set(item.featureName, serializeItem(item));
    this.baseline = baseline;
  }

  recordWrite(name: string, context: RecordedContext): Promise<void> {
    return this.oneAtATime(async (recording) => {
      appendIfChanged(this.table, name, stateOf(await this.store.get(name)), context, recording);
    });
  }

  reconcile(names: readonly string[] | 'all'): Promise<void> {
    return this.oneAtATime(async (recording) => {
      if (names !== 'all') {
        const items = await Promise.all(names.map((name) => this.store.get(name)));
        names.forEach((name, i) => appendIfChanged(this.table, name, stateOf(items[i]), undefined, recording));
        return;
      }
      const stored = new Map<string, string>();
      for (const item of await this.store.list()) stored.set(item.featureName, serializeItem(item));
      reconcileAll(this.table, stored, this.byName.keys(), recording);
    });
  }

  async entries(name: string, { limit, beforeVersion }: HistoryQuery): Promise<HistoryRecord[]> {
    const records: HistoryRecord[] = [];
    const entries = this.byName.get(name) ?? [];
    for (let i = entries.length - 1; i >= 0 && records.length < limit; i--) {
      if (beforeVersion === undefined || entries[i].version < beforeVersion) records.push(toRecord(entries[i]));
    }
    return records;
  }

  async close(): Promise<void> {}

  /**
   * Recordings run one at a time: one that read the store earlier never appends after one that
   * read it later (the store's read is the only await, so the compare and the append are one step).
   */
  private oneAtATime(body: (recording: Recording) => Promise<void>): Promise<void> {
    const run = this.recording.then(() => body({ retention: this.retention, nowMs: this.clock() }));
    this.recording = run.catch(() => undefined);
    return run;
  }
}

function stateOf(item: FeatureFlagStoreItem | undefined): StoredText {
  return item === undefined ? undefined : serializeItem(item);
}

function toRecord(entry: MemoryEntry): HistoryRecord {
  const record: HistoryRecord = { featureName: entry.name, version: entry.version, timeMs: entry.timeMs };
  if (entry.context !== undefined) record.context = { ...entry.context };
  if (entry.before !== undefined) record.before = entry.before;
  if (entry.after !== undefined) record.after = entry.after;
  if (entry.beforeUnknown) record.beforeUnknown = true;
  return record;
}
