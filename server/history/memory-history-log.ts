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
} from './compare-and-append';
import { OldestFirst } from './oldest-first';

export interface MemoryHistoryLogOptions {
  retention: HistoryRetention;
  /** Time of the entries and of retention, in ms since the epoch. Default `Date.now`. */
  clock?: () => number;
}

interface MemoryEntry extends NewHistoryEntry<LazyStored> {
  version: number;
}

/**
 * A flag's state as this log holds it: the item (immutable), serialized when first needed. A write
 * is found different without serializing it when it is another item with another on/off state
 * (is_enabled is read from the stored text alone, so a different reading is a different text): a
 * switch of a flag, the most common write, costs no serialization until its history is read.
 */
class LazyStored {
  private text: string | undefined;
  constructor(readonly item: FeatureFlagStoreItem) {}

  get json(): string {
    return (this.text ??= serializeItem(this.item));
  }

  sameAs(other: LazyStored): boolean {
    if (this.item === other.item) return true;
    if (this.item.isEnabled !== other.item.isEnabled) return false;
    return this.json === other.json;
  }
}

/**
 * The history of a store with no place for one (the memory store; any store without a history of
 * its own), kept in this process: gone with it, and each server over a shared backend keeps its
 * own. Versions are this log's counter. A flag's stored JSON is `serializeItem` of what the
 * store's `get` returns (made when first needed: see `LazyStored`).
 *
 * `open` notes every flag's state as a baseline, so a flag's first change has a known `before`
 * (for the memory store, which lives in this process, the baseline is exact).
 */
export class MemoryHistoryLog implements HistoryLog {
  private readonly retention: HistoryRetention;
  private readonly clock: () => number;
  private head = 0;
  /** Each flag's entries, oldest first. */
  private readonly byName = new Map<string, OldestFirst<MemoryEntry>>();
  /** Each flag's state when the log opened, until its first entry (absent: did not exist). */
  private baseline: Map<string, LazyStored> | undefined;
  private recording: Promise<void> = Promise.resolve();
  private readonly table: HistoryEntryTable<LazyStored> = {
    newest: (name) => {
      const entries = this.byName.get(name);
      if (entries !== undefined) return { after: entries.newest().after };
      return this.baseline === undefined ? undefined : { after: this.baseline.get(name) };
    },
    append: (entry) => {
      this.baseline?.delete(entry.name);
      let entries = this.byName.get(entry.name);
      if (entries === undefined) this.byName.set(entry.name, (entries = new OldestFirst()));
      const { name, timeMs, before, after, beforeUnknown, context } = entry;
      entries.push({ version: ++this.head, name, timeMs, before, after, beforeUnknown, context });
    },
    same: (a, b) => a.sameAs(b),
    // As the SQLite log: age only when the oldest entry is too old, then count from the oldest.
    trim: (name, { maxEntriesPerFlag, maxAgeMs }, nowMs) => {
      const entries = this.byName.get(name)!;
      const newest = entries.newest();
      if (entries.at(0).timeMs < nowMs - maxAgeMs) {
        entries.keepOnly((e) => e === newest || e.timeMs >= nowMs - maxAgeMs);
      }
      if (entries.length > maxEntriesPerFlag) entries.dropOldest(entries.length - maxEntriesPerFlag);
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
    const baseline = new Map<string, LazyStored>();
    for (const item of await this.store.list()) baseline.set(item.featureName, new LazyStored(item));
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
      const stored = new Map<string, LazyStored>();
      for (const item of await this.store.list()) stored.set(item.featureName, new LazyStored(item));
      reconcileAll(this.table, stored, this.byName.keys(), recording);
    });
  }

  async entries(name: string, { limit, beforeVersion }: HistoryQuery): Promise<HistoryRecord[]> {
    const records: HistoryRecord[] = [];
    const entries = this.byName.get(name) ?? new OldestFirst<MemoryEntry>();
    for (let i = entries.length - 1; i >= 0 && records.length < limit; i--) {
      const entry = entries.at(i);
      if (beforeVersion === undefined || entry.version < beforeVersion) records.push(toRecord(entry));
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

function stateOf(item: FeatureFlagStoreItem | undefined): LazyStored | undefined {
  return item === undefined ? undefined : new LazyStored(item);
}

function toRecord(entry: MemoryEntry): HistoryRecord {
  const record: HistoryRecord = { featureName: entry.name, version: entry.version, timeMs: entry.timeMs };
  if (entry.context !== undefined) record.context = { ...entry.context };
  if (entry.before !== undefined) record.before = entry.before.json;
  if (entry.after !== undefined) record.after = entry.after.json;
  if (entry.beforeUnknown) record.beforeUnknown = true;
  return record;
}
