import type { Pool } from 'pg';
import { withDeadline } from '../../client/calls/deadline';
import {
  changeTriggerNames,
  installChangeTrigger,
  type ChangeTriggerColumns,
} from '../../client/stores/postgres-change-trigger';
import { quoteIdentifier } from '../../client/stores/sql-identifier';
import type { FlipperLogger } from '../../shared/logger';
import type { HistoryQuery, HistoryRecord, HistoryRetention, RecordedContext } from '../../shared/model/history';
import type { HistoryLog } from './history-log';
import { contextFromJson } from './recorded-context-json';

export interface PostgresHistoryLogOptions extends ChangeTriggerColumns {
  /** The flags table. Default `feature_flags`, as `PostgreSQLFeatureFlagStore`'s. */
  tableName?: string;
  logger: FlipperLogger;
  retention: HistoryRetention;
  /** The server's clock (ms since the epoch), for the age limit. Default `Date.now`. */
  clock?: () => number;
  /** Deadline of each query, in ms. Default 5000. */
  queryTimeoutMs?: number;
}

interface HistoryRow {
  name: string;
  version: string;
  time_ms: number;
  before: Buffer | null;
  after: Buffer | null;
  context: string | null;
}

/**
 * The history of a PostgreSQL flags table, kept by the table's change trigger
 * (`client/stores/postgres-change-trigger.ts`): every insert, update or delete, by anyone, appends
 * a row with its version, the item before and after, and the writer's context, which the store
 * passes in the write statement itself (`flipper.write_context`). So `recordWrite` and `reconcile`
 * have nothing to record: they apply the retention limits to the flags they name.
 *
 * Entry times are the database's clock. The age limit is measured with this log's clock, placed on
 * the database's by the difference between the two measured at `open`: a server whose clock is off
 * neither drops entries early nor keeps them late.
 */
export class PostgresHistoryLog implements HistoryLog {
  private readonly clock: () => number;
  private readonly timeoutMs: number;
  private readonly table: string;
  /** How far this log's clock is ahead of the database's, in ms (measured at `open`). */
  private clockAheadMs = 0;
  private readonly sql: { entries: string; trim: string };

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresHistoryLogOptions,
  ) {
    this.table = options.tableName ?? 'feature_flags';
    this.clock = options.clock ?? Date.now;
    this.timeoutMs = options.queryTimeoutMs ?? 5000;
    const history = quoteIdentifier(changeTriggerNames(this.table).history);
    this.sql = {
      entries: `SELECT name, version, extract(epoch FROM time)::float8 * 1000 AS time_ms, before, after, context
FROM ${history} WHERE name = $1 AND ($2::bigint IS NULL OR version < $2) ORDER BY version DESC LIMIT $3`,
      // One statement per flag, reading from the oldest end of the (name, version) key only: it
      // keeps from the first entry within the newest $3 (entries are numbered by seq) or the first
      // not older than the cutoff ($2, ms on the database's clock), whichever is newer, and always
      // the newest (versions, like times, grow with each change of a flag).
      trim: `DELETE FROM ${history} WHERE name = $1 AND version < (
  SELECT greatest(
    (SELECT version FROM ${history} WHERE name = $1 AND seq > newest.seq - $3 ORDER BY version LIMIT 1),
    coalesce(
      (SELECT version FROM ${history} WHERE name = $1 AND time >= to_timestamp($2::float8 / 1000) ORDER BY version LIMIT 1),
      newest.version))
  FROM (SELECT version, seq FROM ${history} WHERE name = $1 ORDER BY version DESC LIMIT 1) newest)`,
    };
  }

  /**
   * Installs the change trigger and its history table unless the store's migration (or another
   * server) did; rejects with PostgreSQL's `42501` when that is needed and this role may not.
   */
  async open(): Promise<void> {
    await this.query('Installing the change trigger', () =>
      installChangeTrigger((text) => this.pool.query(text), this.table, this.options),
    );
    const before = this.clock();
    const { rows } = await this.query('Reading the database clock', () =>
      this.pool.query<{ now_ms: number }>(`SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS now_ms`),
    );
    this.clockAheadMs = (before + this.clock()) / 2 - rows[0].now_ms;
  }

  /** The trigger recorded the change, context included, with the write: only retention is left. */
  async recordWrite(name: string): Promise<void> {
    await this.trim([name]);
  }

  /** The trigger sees every writer: nothing to find. The named flags are trimmed (direct writes included). */
  async reconcile(names: readonly string[] | 'all'): Promise<void> {
    if (names !== 'all') await this.trim(names);
  }

  async entries(name: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    const { rows } = await this.query('Reading the history', () =>
      this.pool.query<HistoryRow>(this.sql.entries, [name, query.beforeVersion ?? null, query.limit]),
    );
    return rows.map(toRecord);
  }

  async close(): Promise<void> {
    // The pool is the caller's.
  }

  private async trim(names: readonly string[]): Promise<void> {
    const { maxEntriesPerFlag, maxAgeMs } = this.options.retention;
    const cutoffMs = this.clock() - this.clockAheadMs - maxAgeMs;
    for (const name of names) {
      await this.query('Trimming the history', () =>
        this.pool.query(this.sql.trim, [name, cutoffMs, maxEntriesPerFlag]),
      );
    }
  }

  private query<T>(what: string, run: () => Promise<T>): Promise<T> {
    return withDeadline(run(), this.timeoutMs, `${what} of ${JSON.stringify(this.table)}`);
  }
}

function toRecord(row: HistoryRow): HistoryRecord {
  const record: HistoryRecord = {
    featureName: row.name,
    // bigint in PostgreSQL; one version per change stays far below 2^53.
    version: Number(row.version),
    timeMs: Math.floor(row.time_ms),
  };
  const context: RecordedContext | undefined = contextFromJson(row.context);
  if (context !== undefined) record.context = context;
  if (row.before !== null) record.before = row.before.toString('utf8');
  if (row.after !== null) record.after = row.after.toString('utf8');
  return record;
}
