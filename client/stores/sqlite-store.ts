import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { compareUtf8, TimeoutError } from '../../shared';
import { slicePage } from '../../shared/page';
import { Backoff } from '../calls/backoff';
import { BackendCallPath } from '../calls/backend-call-path';
import { validateTimeout } from '../calls/deadline';
import { BETTER_SQLITE3 } from '../calls/drivers/better-sqlite3';
import { requireOptionalPeer } from '../calls/drivers/optional-peer';
import {
  SerializedFeatureFlagStore,
  type RawPlan,
  type SerializedStoreOptions,
  type StoredVersion,
} from './serialized-store';
import { quoteIdentifier } from './sql-identifier';

export interface SQLiteFeatureFlagStoreOptions extends SerializedStoreOptions {
  /** The table holding the flags (`name TEXT PRIMARY KEY, item TEXT`); created when missing. Default `'feature_flags'`. */
  tableName?: string;
  /**
   * How long a call may wait for another connection's lock, in ms; then `TimeoutError`. The wait
   * is asynchronous (short tries with backoff in between), so other calls go on meanwhile.
   * Default 5000.
   */
  timeout?: number;
}

/**
 * SQLite's own busy wait blocks the thread (better-sqlite3 is synchronous): keep each one short and
 * wait between tries on the event loop instead.
 */
const BUSY_TIMEOUT_MS = 10;

type Row = { name: string; item: string };

/** A flag's stored text before and after a write (undefined: absent). */
export interface SQLiteWrite {
  before: string | undefined;
  after: string | undefined;
}

/** Called inside every write's transaction, after the write: what it throws undoes the write. */
export type SQLiteWriteObserver = (featureName: string, write: SQLiteWrite) => void;

/** What the store and its users call on a prepared statement of a `better-sqlite3` `Database`. */
export interface SQLiteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  pluck(toggleState?: boolean): this;
}

/**
 * A `better-sqlite3` `Database`, as far as the store needs one. Written here, not imported, so the
 * package's types do not depend on better-sqlite3's: it is an optional peer.
 */
export interface SQLiteDatabase {
  readonly name: string;
  readonly open: boolean;
  prepare(source: string): SQLiteStatement;
  exec(source: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Wraps `fn` in a transaction: calling the result runs it in BEGIN ... COMMIT. */
  transaction(fn: (...args: never[]) => unknown): (...args: never[]) => unknown;
  close(): unknown;
}

/**
 * Keeps flags in one SQLite file through `better-sqlite3`, one row per flag holding the Python
 * library's JSON: the server's embedded default, which keeps flags across restarts with no other
 * process.
 *
 * A database the store opens itself is put in WAL mode with `synchronous=FULL`: WAL alone keeps
 * every acknowledged write across a crash of the process (`kill -9`), and FULL syncs the log on
 * every commit so they also survive a power loss or an OS crash. A `Database` the application
 * passes in keeps the settings the application gave it.
 *
 * `better-sqlite3` is loaded when the first store is constructed, never when the library is imported.
 */
export class SQLiteFeatureFlagStore extends SerializedFeatureFlagStore {
  /** The underlying `better-sqlite3` database; the application's own when it passed one. */
  readonly db: SQLiteDatabase;
  /** The table holding the flags. */
  readonly tableName: string;
  /** The same database, with better-sqlite3's own types (private: they stay out of the package's types). */
  private readonly sqlite: BetterSqlite3.Database;
  private readonly ownsDb: boolean;
  private readonly calls: BackendCallPath;
  private readonly lockWaitMs: number;
  private transaction?: BetterSqlite3.Transaction<(featureName: string, plan: RawPlan<unknown>) => unknown>;
  private observer?: SQLiteWriteObserver;
  private observedWrite?: BetterSqlite3.Transaction<(featureName: string, json: string | undefined) => void>;
  /** SQLite compares TEXT by memcmp in the database's encoding: UTF-8 order only when the file is UTF-8. */
  private readonly sortsInSql: boolean;
  private readonly statements: {
    get: BetterSqlite3.Statement<[string], string>;
    upsert: BetterSqlite3.Statement<[string, string]>;
    insertIfAbsent: BetterSqlite3.Statement<[string, string]>;
    updateIfUnchanged: BetterSqlite3.Statement<[string, string, string]>;
    delete: BetterSqlite3.Statement<[string]>;
    page: BetterSqlite3.Statement<[number, number], Row>;
  };

  /**
   * @param pathOrDatabase a file path (its folder is created when missing), `':memory:'`, or a
   *   `better-sqlite3` `Database` the application opened (then `close()` leaves it open).
   */
  constructor(pathOrDatabase: string | SQLiteDatabase, options: SQLiteFeatureFlagStoreOptions = {}) {
    super(options);
    const tableName = (this.tableName = options.tableName ?? 'feature_flags');
    const table = quoteIdentifier(tableName);
    this.calls = new BackendCallPath(BETTER_SQLITE3, {
      bindings: { store: 'sqlite', table: tableName },
      logger: this.logger,
    });
    this.lockWaitMs = validateTimeout(options.timeout ?? 5000, 'timeout');
    this.ownsDb = typeof pathOrDatabase === 'string';
    this.sqlite =
      typeof pathOrDatabase === 'string'
        ? this.calls.run(`open of ${JSON.stringify(pathOrDatabase)}`, () => openDatabase(pathOrDatabase))
        : (pathOrDatabase as BetterSqlite3.Database);
    this.db = this.sqlite;
    try {
      if (this.ownsDb) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
      }
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (name TEXT PRIMARY KEY NOT NULL, item TEXT NOT NULL)`);
      this.sortsInSql = this.db.pragma('encoding', { simple: true }) === 'UTF-8';
      this.statements = {
        get: this.sqlite.prepare<[string], string>(`SELECT item FROM ${table} WHERE name = ?`).pluck(),
        upsert: this.sqlite.prepare<[string, string]>(
          `INSERT INTO ${table} (name, item) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET item = excluded.item`,
        ),
        insertIfAbsent: this.sqlite.prepare<[string, string]>(
          `INSERT INTO ${table} (name, item) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
        ),
        updateIfUnchanged: this.sqlite.prepare<[string, string, string]>(
          `UPDATE ${table} SET item = ? WHERE name = ? AND item = ?`,
        ),
        delete: this.sqlite.prepare<[string]>(`DELETE FROM ${table} WHERE name = ?`),
        page: this.sqlite.prepare<[number, number], Row>(
          `SELECT name, item FROM ${table} ORDER BY name COLLATE BINARY LIMIT ? OFFSET ?`,
        ),
      };
    } catch (error) {
      if (this.ownsDb) this.db.close();
      throw this.calls.typed(`preparing table ${table}`, error);
    }
  }

  protected async readRaw(featureName: string): Promise<string | undefined> {
    return this.run('read', () => this.statements.get.get(featureName));
  }

  protected async writeRaw(featureName: string, json: string): Promise<void> {
    if (this.observer !== undefined) await this.run('write', () => this.observed.immediate(featureName, json));
    else await this.run('write', () => this.statements.upsert.run(featureName, json));
  }

  // Called only by the base class's `updateRaw`, which this store replaces: no observer to tell.
  protected override async writeIfUnchanged(
    featureName: string,
    json: string,
    expected: StoredVersion | undefined,
  ): Promise<boolean> {
    const result = await this.run('conditional write', () =>
      expected === undefined
        ? this.statements.insertIfAbsent.run(featureName, json)
        : this.statements.updateIfUnchanged.run(json, featureName, expected.raw.toString()),
    );
    return result.changes === 1;
  }

  /**
   * Read, plan and write in one `BEGIN IMMEDIATE` transaction: it takes the database's write lock
   * before reading, so no other connection (in this process or another) writes in between, and no
   * retry is needed. While the lock is held elsewhere the transaction never begins and `run` tries
   * again; past the store's `timeout` that is `TimeoutError`, with nothing written.
   */
  protected override async updateRaw<T>(featureName: string, plan: RawPlan<T>): Promise<T> {
    return this.run('update', () => this.readPlanWrite.immediate(featureName, plan) as T);
  }

  /** The body of `updateRaw`'s transaction (made once: better-sqlite3 wraps it in BEGIN/COMMIT). */
  private get readPlanWrite(): BetterSqlite3.Transaction<(featureName: string, plan: RawPlan<unknown>) => unknown> {
    this.transaction ??= this.sqlite.transaction((featureName: string, plan: RawPlan<unknown>) => {
      const raw = this.statements.get.get(featureName);
      const { json, result } = plan(raw === undefined ? undefined : { raw });
      if (json !== undefined) {
        this.statements.upsert.run(featureName, json);
        this.observer?.(featureName, { before: storedText(raw), after: json });
      }
      return result;
    });
    return this.transaction;
  }

  /** With an observer, a write or a delete reads the flag first, in the same transaction, to tell it what changed. */
  private get observed(): BetterSqlite3.Transaction<(featureName: string, json: string | undefined) => void> {
    this.observedWrite ??= this.sqlite.transaction((featureName: string, json: string | undefined) => {
      const before = storedText(this.statements.get.get(featureName));
      if (json === undefined) this.statements.delete.run(featureName);
      else this.statements.upsert.run(featureName, json);
      this.observer?.(featureName, { before, after: json });
    });
    return this.observedWrite;
  }

  protected async deleteRaw(featureName: string): Promise<void> {
    if (this.observer !== undefined) await this.run('delete', () => this.observed.immediate(featureName, undefined));
    else await this.run('delete', () => this.statements.delete.run(featureName));
  }

  /**
   * Calls `observer` inside the transaction of every write through this store from now on (one at
   * most; undefined removes it): the flag server's history appends its entry in the write's own
   * commit. Writes by other connections are not seen.
   */
  observeWrites(observer: SQLiteWriteObserver | undefined): void {
    if (observer !== undefined && this.observer !== undefined) {
      throw new Error('SQLiteFeatureFlagStore.observeWrites: this store already has an observer');
    }
    this.observer = observer;
  }

  protected async listRaw(limit: number | undefined, offset: number): Promise<Array<[string, string]>> {
    return this.run('list', () => {
      if (this.sortsInSql) {
        return this.statements.page.all(limit ?? -1, offset).map((r): [string, string] => [r.name, r.item]);
      }
      const rows = this.statements.page.all(-1, 0).sort((a, b) => compareUtf8(a.name, b.name));
      return slicePage(rows, limit, offset).map((r): [string, string] => [r.name, r.item]);
    });
  }

  /**
   * Runs `body` on the store's connection, with the store's lock wait and typed errors; inside one
   * `BEGIN IMMEDIATE` transaction with `transaction`. For tables kept beside the flags in the same
   * file (the flag server's history), whose statements `body` prepares on `db`.
   */
  async onConnection<T>(operation: string, body: () => T, mode: 'transaction' | 'statement'): Promise<T> {
    return this.run(operation, mode === 'transaction' ? () => this.sqlite.transaction(body).immediate() : body);
  }

  /** Closes the database when the store opened it; safe to call twice. */
  override async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }

  /**
   * One statement through the backend call path (typed error, reachability log). While another
   * connection holds the lock (SQLITE_BUSY after the short busy timeout, typed `TimeoutError`),
   * tries again after a jittered, growing pause until `timeout` has passed.
   */
  private async run<T>(operation: string, body: () => T): Promise<T> {
    const deadline = Date.now() + this.lockWaitMs;
    const backoff = new Backoff({ initialDelayMs: 5, maxDelayMs: 100 });
    for (;;) {
      try {
        return this.calls.run(operation, body);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        const pause = backoff.failed();
        if (Date.now() + pause >= deadline) {
          throw new TimeoutError(
            `SQLite ${operation} waited ${this.lockWaitMs} ms for a lock (timeout): ${error.message}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }
}

/** A stored value as text: SQLite hands back a BLOB (which another program may have written) as a Buffer. */
export function storedText(raw: string | Buffer | undefined): string | undefined {
  return raw === undefined || typeof raw === 'string' ? raw : raw.toString('utf8');
}

function openDatabase(path: string): BetterSqlite3.Database {
  // Required here, not at the top: importing the library must not load the native driver.
  const Database = requireOptionalPeer<typeof BetterSqlite3>(
    'better-sqlite3',
    'SQLiteFeatureFlagStore',
    'better-sqlite3@12',
  );
  if (path !== ':memory:' && path !== '' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  return new Database(path, { timeout: BUSY_TIMEOUT_MS });
}
