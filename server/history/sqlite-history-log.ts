import { storedText, type SQLiteFeatureFlagStore, type SQLiteStatement } from '../../client/stores/sqlite-store';
import { quoteIdentifier } from '../../client/stores/sql-identifier';
import type { FlipperLogger } from '../../shared/logger';
import type { HistoryQuery, HistoryRecord, HistoryRetention, RecordedContext } from '../../shared/model/history';
import type { HistoryLog } from './history-log';
import { currentWriteContext } from '../../client/calls/write-context';
import {
  appendIfChanged,
  appendWrite,
  reconcileAll,
  type HistoryEntryTable,
  type NewHistoryEntry,
  type Recording,
  type StoredText,
} from './compare-and-append';
import { contextFromJson, contextToJson } from './recorded-context-json';

export interface SQLiteHistoryLogOptions {
  logger: FlipperLogger;
  retention: HistoryRetention;
  /** Time of the entries and of retention, in ms since the epoch. Default `Date.now`. */
  clock?: () => number;
  /** The history table. Default: the flags table's name followed by `_flipper_history`. */
  tableName?: string;
}

interface EntryRow {
  version: number;
  time_ms: number;
  before: string | null;
  after: string | null;
  before_unknown: number;
  context: string | null;
}

/**
 * The history of a SQLite store, in a table of the store's own file, so every server (process) on
 * the file shows the same history. `version` is the table's rowid: the history's own sequence,
 * which survives restarts (the change feed's versions do not). SQLite gives a new row the largest
 * rowid plus one, and the row with the largest rowid is some flag's newest entry, which retention
 * never drops, so no version is given twice without AUTOINCREMENT (whose `sqlite_sequence` row
 * cost every write one more page of WAL, about 8 µs of a ~100 µs synced write). Tables made by an
 * earlier release keep their AUTOINCREMENT; both read and write alike. Each recording reads the
 * flag's stored text and the newest entry and appends in one `BEGIN IMMEDIATE` transaction, so two
 * processes recording the same change append it once.
 *
 * `seq` numbers a flag's entries (1, 2, ...), so retention by count finds what to drop from the
 * oldest entry alone, without counting the flag's entries on every write.
 */
export class SQLiteHistoryLog implements HistoryLog {
  readonly tableName: string;
  private readonly retention: HistoryRetention;
  private readonly clock: () => number;
  private statements?: ReturnType<SQLiteHistoryLog['prepare']>;
  /**
   * The newest entry of the flag being recorded (version and seq 0: none), as last read or
   * appended in the current transaction: compare-and-append always reads the newest entry before
   * it appends, so `insert` and `trim` need not read it again.
   */
  private newestRow: { name: string; version: number; seq: number } = { name: '', version: 0, seq: 0 };
  private readonly table: HistoryEntryTable = {
    newest: (name) => {
      const row = this.prepared.newest.get(name) as { version: number; seq: number; after: string | null } | undefined;
      this.newestRow = { name, version: row?.version ?? 0, seq: row?.seq ?? 0 };
      return row === undefined ? undefined : { after: row.after ?? undefined };
    },
    append: (entry) => this.insert(entry),
    trim: (name, retention, nowMs) => this.trim(name, retention, nowMs),
    same: (a, b) => a === b,
  };

  constructor(
    private readonly store: SQLiteFeatureFlagStore,
    options: SQLiteHistoryLogOptions,
  ) {
    this.tableName = options.tableName ?? `${store.tableName}_flipper_history`;
    this.retention = options.retention;
    this.clock = options.clock ?? Date.now;
  }

  async open(): Promise<void> {
    const table = quoteIdentifier(this.tableName);
    await this.store.onConnection(
      `creating history table ${table}`,
      () => {
        this.store.db.exec(
          `CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, ` +
            `seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, "before" TEXT, "after" TEXT, ` +
            `before_unknown INTEGER NOT NULL DEFAULT 0, context TEXT)`,
        );
        this.store.db.exec(
          `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${this.tableName}_by_name`)} ON ${table} (name, version)`,
        );
      },
      'transaction',
    );
    this.statements = this.prepare();
    this.store.observeWrites((name, write) =>
      appendWrite(this.table, name, write, currentWriteContext(), this.recording()),
    );
  }

  /** Nothing to do: the store's observer appended the write, with its context, in the write's own transaction. */
  async recordWrite(_name: string, _context: RecordedContext): Promise<void> {}

  async reconcile(names: readonly string[] | 'all'): Promise<void> {
    await this.inTransaction('history reconcile', (recording) => {
      if (names !== 'all') {
        for (const name of names) appendIfChanged(this.table, name, this.readStored(name), undefined, recording);
        return;
      }
      const stored = new Map<string, string>();
      for (const row of this.prepared.allFlags.all() as Array<{ name: string; item: string | Buffer }>) {
        stored.set(row.name, storedText(row.item)!);
      }
      reconcileAll(this.table, stored, this.prepared.names.all() as string[], recording);
    });
  }

  async entries(name: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    const rows = await this.store.onConnection(
      'history read',
      () =>
        this.prepared.entries.all({
          name,
          beforeVersion: query.beforeVersion ?? Number.MAX_SAFE_INTEGER,
          kept: this.retention.maxEntriesPerFlag,
          limit: query.limit,
        }) as EntryRow[],
      'statement',
    );
    return rows.map((row) => toRecord(name, row));
  }

  async close(): Promise<void> {
    if (this.statements !== undefined) this.store.observeWrites(undefined);
  }

  private get prepared(): NonNullable<SQLiteHistoryLog['statements']> {
    return this.mustBeOpen();
  }

  private mustBeOpen(): NonNullable<SQLiteHistoryLog['statements']> {
    if (this.statements === undefined) throw new Error('SQLiteHistoryLog used before open()');
    return this.statements;
  }

  private prepare() {
    const db = this.store.db;
    const history = quoteIdentifier(this.tableName);
    const flags = quoteIdentifier(this.store.tableName);
    const statement = (sql: string): SQLiteStatement => db.prepare(sql);
    return {
      flag: statement(`SELECT item FROM ${flags} WHERE name = ?`).pluck(),
      allFlags: statement(`SELECT name, item FROM ${flags}`),
      names: statement(`SELECT DISTINCT name FROM ${history}`).pluck(),
      newest: statement(`SELECT version, seq, "after" FROM ${history} WHERE name = ? ORDER BY version DESC LIMIT 1`),
      oldest: statement(`SELECT seq, time_ms FROM ${history} WHERE name = ? ORDER BY version ASC LIMIT 1`),
      insert: statement(
        `INSERT INTO ${history} (name, seq, time_ms, "before", "after", before_unknown, context) ` +
          `VALUES (@name, @seq, @timeMs, @before, @after, @beforeUnknown, @context)`,
      ),
      dropFirst: statement(
        `DELETE FROM ${history} WHERE version IN ` +
          `(SELECT version FROM ${history} WHERE name = @name ORDER BY version ASC LIMIT @count) AND seq <= @lastDropped`,
      ),
      dropOlder: statement(`DELETE FROM ${history} WHERE name = ? AND time_ms < ? AND version < ?`),
      // Entries beyond the count kept are left to be dropped in a batch (see `trim`): not shown.
      entries: statement(
        `SELECT version, time_ms, "before", "after", before_unknown, context FROM ${history} ` +
          `WHERE name = @name AND version < @beforeVersion ` +
          `AND seq > (SELECT seq FROM ${history} WHERE name = @name ORDER BY version DESC LIMIT 1) - @kept ` +
          `ORDER BY version DESC LIMIT @limit`,
      ),
    };
  }

  /** `body` in one BEGIN IMMEDIATE transaction: no other connection writes between its reads and its appends. */
  private async inTransaction(operation: string, body: (recording: Recording) => void): Promise<void> {
    this.mustBeOpen();
    const recording = this.recording();
    await this.store.onConnection(operation, () => body(recording), 'transaction');
  }

  private recording(): Recording {
    return { retention: this.retention, nowMs: this.clock() };
  }

  private readStored(name: string): StoredText {
    return storedText(this.prepared.flag.get(name) as string | Buffer | undefined);
  }

  private insert(entry: NewHistoryEntry): void {
    if (this.newestRow.name !== entry.name) this.table.newest(entry.name);
    const seq = this.newestRow.seq + 1;
    const inserted = this.prepared.insert.run({
      name: entry.name,
      seq,
      timeMs: entry.timeMs,
      before: entry.before ?? null,
      after: entry.after ?? null,
      beforeUnknown: entry.beforeUnknown ? 1 : 0,
      context: contextToJson(entry.context) ?? null,
    }) as { lastInsertRowid: number | bigint };
    this.newestRow = { name: entry.name, version: Number(inserted.lastInsertRowid), seq };
  }

  /**
   * Age first (only when the oldest entry is too old: entries are appended in time order, give or
   * take clocks of other processes), then count: the entries whose `seq` is `maxEntriesPerFlag` or
   * more below the newest's lead the flag's entries, so the oldest is all there is to look at. They
   * are dropped a sixteenth of the limit at a time (`entries` hides them meanwhile): dropping one
   * entry per write rewrote two more pages (the oldest row's and its index entry's) in every
   * commit, 7 pages of WAL a write instead of 4.
   */
  private trim(name: string, { maxEntriesPerFlag, maxAgeMs }: HistoryRetention, nowMs: number): void {
    const newest = this.newestRow;
    let oldest = this.prepared.oldest.get(name) as { seq: number; time_ms: number };
    if (oldest.time_ms < nowMs - maxAgeMs) {
      this.prepared.dropOlder.run(name, nowMs - maxAgeMs, newest.version);
      oldest = this.prepared.oldest.get(name) as { seq: number; time_ms: number };
    }
    const lastDropped = newest.seq - maxEntriesPerFlag;
    const count = lastDropped - oldest.seq + 1;
    if (count >= Math.ceil(maxEntriesPerFlag / 16)) this.prepared.dropFirst.run({ name, count, lastDropped });
  }
}

function toRecord(name: string, row: EntryRow): HistoryRecord {
  const record: HistoryRecord = { featureName: name, version: row.version, timeMs: row.time_ms };
  const context = contextFromJson(row.context);
  if (context !== undefined) record.context = context;
  if (row.before !== null) record.before = row.before;
  if (row.after !== null) record.after = row.after;
  if (row.before_unknown !== 0) record.beforeUnknown = true;
  return record;
}
