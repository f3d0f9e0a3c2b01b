import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { FlipperError, StoreError, compareUtf8 } from '../../shared';
import { SerializedFeatureFlagStore, type SerializedStoreOptions } from './serialized-store';
import { quoteIdentifier } from './sql-identifier';

export interface SQLiteFeatureFlagStoreOptions extends SerializedStoreOptions {
  /** The table holding the flags (`name TEXT PRIMARY KEY, item TEXT`); created when missing. Default `'feature_flags'`. */
  tableName?: string;
}

type Row = { name: string; item: string };

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
  /** The underlying database; the application's own when it passed one. */
  readonly db: BetterSqlite3.Database;
  private readonly ownsDb: boolean;
  /** SQLite compares TEXT by memcmp in the database's encoding: UTF-8 order only when the file is UTF-8. */
  private readonly sortsInSql: boolean;
  private readonly statements: {
    get: BetterSqlite3.Statement<[string], string>;
    upsert: BetterSqlite3.Statement<[string, string]>;
    delete: BetterSqlite3.Statement<[string]>;
    page: BetterSqlite3.Statement<[number, number], Row>;
  };

  /**
   * @param pathOrDatabase a file path (its folder is created when missing), `':memory:'`, or a
   *   `better-sqlite3` `Database` the application opened (then `close()` leaves it open).
   */
  constructor(pathOrDatabase: string | BetterSqlite3.Database, options: SQLiteFeatureFlagStoreOptions = {}) {
    super(options);
    const table = quoteIdentifier(options.tableName ?? 'feature_flags');
    this.ownsDb = typeof pathOrDatabase === 'string';
    this.db = typeof pathOrDatabase === 'string' ? openDatabase(pathOrDatabase) : pathOrDatabase;
    try {
      if (this.ownsDb) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
      }
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (name TEXT PRIMARY KEY NOT NULL, item TEXT NOT NULL)`);
      this.sortsInSql = this.db.pragma('encoding', { simple: true }) === 'UTF-8';
      this.statements = {
        get: this.db.prepare<[string], string>(`SELECT item FROM ${table} WHERE name = ?`).pluck(),
        upsert: this.db.prepare<[string, string]>(
          `INSERT INTO ${table} (name, item) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET item = excluded.item`,
        ),
        delete: this.db.prepare<[string]>(`DELETE FROM ${table} WHERE name = ?`),
        page: this.db.prepare<[number, number], Row>(
          `SELECT name, item FROM ${table} ORDER BY name COLLATE BINARY LIMIT ? OFFSET ?`,
        ),
      };
    } catch (error) {
      if (this.ownsDb) this.db.close();
      throw storeError(error, 'could not prepare the SQLite table');
    }
  }

  protected async readRaw(featureName: string): Promise<string | undefined> {
    return this.run('read', () => this.statements.get.get(featureName));
  }

  protected async writeRaw(featureName: string, json: string): Promise<void> {
    this.run('write', () => this.statements.upsert.run(featureName, json));
  }

  protected async deleteRaw(featureName: string): Promise<void> {
    this.run('delete', () => this.statements.delete.run(featureName));
  }

  protected async listRaw(limit: number | undefined, offset: number): Promise<Array<[string, string]>> {
    return this.run('list', () => {
      if (this.sortsInSql) {
        return this.statements.page.all(limit ?? -1, offset).map((r): [string, string] => [r.name, r.item]);
      }
      const rows = this.statements.page.all(-1, 0).sort((a, b) => compareUtf8(a.name, b.name));
      const end = limit === undefined ? undefined : offset + limit;
      return rows.slice(offset, end).map((r): [string, string] => [r.name, r.item]);
    });
  }

  /** Closes the database when the store opened it; safe to call twice. */
  override async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }

  private run<T>(operation: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      throw storeError(error, `SQLite ${operation} failed`);
    }
  }
}

function openDatabase(path: string): BetterSqlite3.Database {
  // Required here, not at the top: importing the library must not load the native driver.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  if (path !== ':memory:' && path !== '' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  try {
    return new Database(path);
  } catch (error) {
    throw storeError(error, `could not open the SQLite database ${JSON.stringify(path)}`);
  }
}

function storeError(error: unknown, message: string): FlipperError {
  if (error instanceof FlipperError) return error;
  return new StoreError(`${message}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}
