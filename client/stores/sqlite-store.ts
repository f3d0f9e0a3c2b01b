import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { compareUtf8 } from '../../shared';
import { slicePage } from '../../shared/page';
import { BackendCallPath } from '../calls/backend-call-path';
import { BETTER_SQLITE3 } from '../calls/drivers/better-sqlite3';
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
  private readonly calls: BackendCallPath;
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
    const tableName = options.tableName ?? 'feature_flags';
    const table = quoteIdentifier(tableName);
    this.calls = new BackendCallPath(BETTER_SQLITE3, {
      bindings: { store: 'sqlite', table: tableName },
      logger: this.logger,
    });
    this.ownsDb = typeof pathOrDatabase === 'string';
    this.db =
      typeof pathOrDatabase === 'string'
        ? this.calls.run(`open of ${JSON.stringify(pathOrDatabase)}`, () => openDatabase(pathOrDatabase))
        : pathOrDatabase;
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
      throw this.calls.typed(`preparing table ${table}`, error);
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
      return slicePage(rows, limit, offset).map((r): [string, string] => [r.name, r.item]);
    });
  }

  /** Closes the database when the store opened it; safe to call twice. */
  override async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }

  /** One statement through the backend call path (typed error, reachability log); SQLite is synchronous: no deadline. */
  private run<T>(operation: string, body: () => T): T {
    return this.calls.run(operation, body);
  }
}

function openDatabase(path: string): BetterSqlite3.Database {
  // Required here, not at the top: importing the library must not load the native driver.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  if (path !== ':memory:' && path !== '' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
  return new Database(path);
}
