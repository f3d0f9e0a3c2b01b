import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface LockedSqlite {
  file: string;
  /** A connection whose statements meet the lock. */
  waiter: Database.Database;
  /** Ends the holder's transaction: the file is free. */
  release(): void;
  close(): void;
}

/**
 * A fresh SQLite file with a table `t (x)`, held under an exclusive lock by one connection
 * (`holder`) while another (`waiter`, busy timeout `busyMs`) tries to use it: its statements fail
 * with SQLITE_BUSY until `release()`. `close()` closes both and deletes the file.
 */
export function lockedSqlite(busyMs = 20): LockedSqlite {
  const dir = mkdtempSync(join(tmpdir(), 'flipper-locked-'));
  const file = join(dir, 'flags.db');
  const holder = new Database(file);
  const waiter = new Database(file, { timeout: busyMs });
  holder.exec('CREATE TABLE t (x)');
  holder.exec('BEGIN EXCLUSIVE');
  return {
    file,
    waiter,
    release: () => holder.exec('COMMIT'),
    close: () => {
      holder.close();
      waiter.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The error `body` throws; fails the test when it returns. */
export function thrown(body: () => unknown): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
