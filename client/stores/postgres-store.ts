import type { Pool, QueryConfig, QueryResultRow } from 'pg';
import { FlipperError, InvalidFlagNameError, MAX_NAME_LENGTH } from '../../shared';
import { AttemptGate } from '../calls/attempt-gate';
import { currentWriteContext } from '../calls/write-context';
import { BackendCallPath } from '../calls/backend-call-path';
import type { BackoffOptions } from '../calls/backoff';
import { validateTimeout } from '../calls/deadline';
import { isPgConnectFailure, PG } from '../calls/drivers/pg';
import { defaultLogger } from '../logger';
import {
  changeTriggerStatusSql,
  installChangeTrigger,
  WRITE_CONTEXT_SETTING,
  type ChangeTriggerStatus,
} from './postgres-change-trigger';
import { SerializedFeatureFlagStore, type SerializedStoreOptions, type StoredVersion } from './serialized-store';
import { quoteIdentifier } from './sql-identifier';

export interface PostgreSQLFeatureFlagStoreOptions extends SerializedStoreOptions {
  /** The table holding the flags, as the Python library names it. Default `'feature_flags'`. */
  tableName?: string;
  /** The primary-key column holding flag names. Default `'name'`. */
  nameColumn?: string;
  /** The `bytea` column holding each flag's JSON. Default `'item'`. */
  itemColumn?: string;
  /**
   * Create the table when missing (`name varchar(255) PRIMARY KEY, item bytea NOT NULL`), and
   * install the change trigger that versions every change and records its history (see
   * `changeTriggerSql`), once, before the first call. Default true, as Python's `run_migrations`.
   * A role without the privilege to install the trigger on an existing table is warned once and
   * keeps working (without versions or history until the table's owner installs it).
   */
  runMigrations?: boolean;
  /**
   * Deadline of each call in milliseconds, waiting for a pooled connection included; a query past
   * it is abandoned and its connection discarded. Default 5000.
   */
  queryTimeout?: number;
  /**
   * After a call that could not connect, calls fail at once with `ConnectionError` until the next
   * attempt is due: between half and all of `initialDelayMs * 2^(failures-1)`, at most
   * `maxDelayMs`; then one call tries. Default 100 ms doubling up to 2000 ms, so a pool whose
   * server is down tries about one connection a second rather than one per call.
   */
  reconnect?: BackoffOptions;
}

/**
 * What the store needs of a `pg` `Pool` (a `Client` fits too). Written here, not imported, so the
 * package's types do not depend on pg's: it is an optional peer.
 */
export interface PostgreSQLQueryable {
  query(config: { text: string; values?: unknown[]; query_timeout?: number }): Promise<{ rows: unknown[] }>;
}

/**
 * Keeps flags in the Python library's table: one row per flag, its name and its JSON as `bytea`,
 * so Python and Node services share one table. Lists in the byte order of UTF-8 names
 * (`COLLATE "C"`). On a table the Python library made (`name varchar(40)`), a longer name is
 * rejected with `InvalidFlagNameError`.
 *
 * The application passes its own `pg` `Pool` (`pg` is not imported here) and keeps owning it:
 * `close()` does not end it.
 */
export class PostgreSQLFeatureFlagStore extends SerializedFeatureFlagStore {
  /** The table, unquoted. */
  readonly tableName: string;
  /** pg's own types (private: they stay out of the package's types). */
  private readonly pool: Pick<Pool, 'query'>;
  private readonly nameColumn: string;
  private readonly itemColumn: string;
  private readonly queryTimeout: number;
  private readonly sql: {
    get: string;
    upsert: string;
    insertIfAbsent: string;
    updateIfUnchanged: string;
    delete: string;
    page: string;
  };
  private migration?: Promise<void>;
  private readonly calls: BackendCallPath;

  constructor(pool: PostgreSQLQueryable, options: PostgreSQLFeatureFlagStoreOptions = {}) {
    super(options);
    this.pool = pool as Pick<Pool, 'query'>;
    this.tableName = options.tableName ?? 'feature_flags';
    this.nameColumn = options.nameColumn ?? 'name';
    this.itemColumn = options.itemColumn ?? 'item';
    this.queryTimeout = validateTimeout(options.queryTimeout ?? 5000, 'queryTimeout');
    const t = quoteIdentifier(this.tableName);
    const n = quoteIdentifier(this.nameColumn);
    const i = quoteIdentifier(this.itemColumn);
    // Every write sets the writer's context (its last parameter) for the change trigger's history
    // row in the statement itself: no extra round trip, and the setting is transaction-local, so it
    // ends with the statement (the pool's connections run each query in a transaction of its own).
    const context = (p: number) => `(SELECT set_config('${WRITE_CONTEXT_SETTING}', $${p}, true)) AS write_context`;
    this.sql = {
      get: `SELECT ${i} AS item FROM ${t} WHERE ${n} = $1`,
      upsert: `INSERT INTO ${t} (${n}, ${i}) SELECT $1, $2 FROM ${context(3)} ON CONFLICT (${n}) DO UPDATE SET ${i} = EXCLUDED.${i}`,
      // Conditional writes: one statement each, so the comparison and the write are atomic (the row
      // lock taken by UPDATE makes a concurrent one wait, then re-check its WHERE on the new row).
      insertIfAbsent: `INSERT INTO ${t} (${n}, ${i}) SELECT $1, $2 FROM ${context(3)} ON CONFLICT (${n}) DO NOTHING`,
      updateIfUnchanged: `UPDATE ${t} SET ${i} = $2 FROM ${context(4)} WHERE ${n} = $1 AND ${i} = $3`,
      delete: `DELETE FROM ${t} USING ${context(2)} WHERE ${n} = $1`,
      page: `SELECT ${n} AS name, ${i} AS item FROM ${t} ORDER BY ${n} COLLATE "C" LIMIT $1 OFFSET $2`,
    };
    if (options.runMigrations === false) this.migration = Promise.resolve();
    this.calls = new BackendCallPath(PG, {
      target: ` on ${JSON.stringify(this.tableName)}`,
      bindings: { store: 'postgresql', table: this.tableName },
      deadline: { ms: this.queryTimeout, option: 'queryTimeout' },
      connectGate: { gate: new AttemptGate(options.reconnect), isConnectFailure: isPgConnectFailure },
      logger: this.logger,
    });
  }

  /** PostgreSQL text cannot hold NUL (U+0000): such a name is refused before any query. */
  protected override checkName(featureName: string): void {
    super.checkName(featureName);
    const at = featureName.indexOf('\0');
    if (at >= 0) {
      throw new InvalidFlagNameError(
        `Feature flag name ${JSON.stringify(truncate(featureName))} holds a NUL character (at index ${at}), ` +
          'which PostgreSQL text cannot store',
      );
    }
  }

  protected async readRaw(featureName: string): Promise<Buffer | undefined> {
    const rows = await this.query<{ item: Buffer }>('read', this.sql.get, [featureName]);
    return rows[0]?.item;
  }

  protected async writeRaw(featureName: string, json: string): Promise<void> {
    await this.write(featureName, 'write', this.sql.upsert, [featureName, Buffer.from(json, 'utf8'), writeContext()]);
  }

  protected override async writeIfUnchanged(
    featureName: string,
    json: string,
    expected: StoredVersion | undefined,
  ): Promise<boolean> {
    const item = Buffer.from(json, 'utf8');
    const written =
      expected === undefined
        ? await this.write(featureName, 'insert if absent', this.sql.insertIfAbsent, [
            featureName,
            item,
            writeContext(),
          ])
        : await this.write(featureName, 'update if unchanged', this.sql.updateIfUnchanged, [
            featureName,
            item,
            typeof expected.raw === 'string' ? Buffer.from(expected.raw, 'utf8') : expected.raw,
            writeContext(),
          ]);
    return written === 1;
  }

  protected async deleteRaw(featureName: string): Promise<void> {
    await this.migrate();
    await this.send('delete', this.sql.delete, [featureName, writeContext()], true);
  }

  /** A statement that changes the table; resolves with the rows it changed. */
  private async write(featureName: string, operation: string, text: string, values: unknown[]): Promise<number> {
    await this.migrate();
    try {
      return (await this.send(operation, text, values, true)).rowCount ?? 0;
    } catch (error) {
      if (isPgError(error, '22001')) throw await this.nameTooLong(featureName);
      throw error;
    }
  }

  protected async listRaw(limit: number | undefined, offset: number): Promise<Array<[string, Buffer]>> {
    const rows = await this.query<{ name: string; item: Buffer }>('list', this.sql.page, [limit ?? null, offset]);
    return rows.map((r): [string, Buffer] => [r.name, r.item]);
  }

  /**
   * Creates the table and installs the change trigger once; concurrent first calls share the
   * attempt, and a failed one is retried later.
   */
  private migrate(): Promise<void> {
    this.migration ??= this.runMigration().catch((error: unknown) => {
      this.migration = undefined;
      throw error;
    });
    return this.migration;
  }

  private async runMigration(): Promise<void> {
    const run = (text: string) => this.send('create table', text, []);
    const columns = { nameColumn: this.nameColumn, itemColumn: this.itemColumn };
    try {
      await installChangeTrigger(run, this.tableName, columns);
    } catch (error) {
      // Another program (the Python library) creating the table at the same moment: it is there now.
      if (isPgError(error, '23505') || isPgError(error, '42P07')) {
        await installChangeTrigger(run, this.tableName, columns);
        return;
      }
      if (!isPgError(error, '42501')) throw error;
      const [status] = (await run(changeTriggerStatusSql(this.tableName, columns))).rows as ChangeTriggerStatus[];
      if (status?.table_exists !== true) throw error;
      (this.logger ?? defaultLogger({ store: 'postgresql' })).warn(
        { table: this.tableName, err: error },
        'PostgreSQL store: no privilege to install the change trigger (versions and history of changes); ' +
          'flags are read and written as usual, but changes are not recorded until the owner of the table ' +
          'installs it (by running this store or a flag server once as that role)',
      );
    }
  }

  private async query<R extends QueryResultRow>(operation: string, text: string, values: unknown[]): Promise<R[]> {
    await this.migrate();
    return (await this.send<R>(operation, text, values)).rows;
  }

  /**
   * One query through the backend call path (deadline, typed error keeping its `cause`, reachability
   * log). A write past its deadline is `OutcomeUnknownError`: the statement may still commit.
   */
  private send<R extends QueryResultRow>(operation: string, text: string, values: unknown[], write = false) {
    // pg reads `query_timeout` per query: on expiry it fails the query and discards the connection.
    const config = { text, values, query_timeout: this.queryTimeout } as QueryConfig;
    return this.calls.call(operation, () => this.pool.query<R>(config), { write });
  }

  private async nameTooLong(featureName: string): Promise<InvalidFlagNameError> {
    let length: number | undefined;
    try {
      const rows = await this.query<{ length: number | null }>(
        'column length',
        `SELECT character_maximum_length AS length FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`,
        [this.tableName, this.nameColumn],
      );
      length = rows[0]?.length ?? undefined;
    } catch {
      // The message below is still clear without the number.
    }
    const column = `column ${JSON.stringify(this.nameColumn)} of table ${JSON.stringify(this.tableName)}`;
    const limit =
      length === undefined ? 'is shorter' : `is varchar(${length}) (the Python library creates varchar(40))`;
    return new InvalidFlagNameError(
      `Feature flag name ${JSON.stringify(truncate(featureName))} has ${[...featureName].length} characters, but ` +
        `${column} ${limit}: use a shorter name, or widen the column with ALTER TABLE ... ALTER COLUMN ... ` +
        `TYPE varchar(${MAX_NAME_LENGTH})`,
    );
  }
}

function truncate(name: string): string {
  return name.length > 60 ? `${name.slice(0, 57)}...` : name;
}

/** The context of the write being made (JSON), or '' outside any: the change trigger records NULL then. */
function writeContext(): string {
  const context = currentWriteContext();
  return context === undefined ? '' : JSON.stringify(context);
}

function isPgError(error: unknown, code: string): boolean {
  const cause = error instanceof FlipperError ? error.cause : error;
  return (cause as { code?: unknown } | undefined)?.code === code;
}
