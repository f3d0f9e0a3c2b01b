import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLiteFeatureFlagStore } from '../../client';
import type { StoreConformanceOptions } from '../../client/testing';

const embedded = 'an embedded database file: no connection to refuse or to leave unanswered';

/**
 * The store conformance options of `SQLiteFeatureFlagStore`: a file in a temporary folder per case,
 * `prepare` run on each new store before the case (the history test opens a history log on it, so
 * that every write goes through the store's write observer).
 */
export function sqliteConformance(
  prepare: (store: SQLiteFeatureFlagStore) => Promise<void> = async () => {},
): StoreConformanceOptions<SQLiteFeatureFlagStore> {
  const dirs = new Map<SQLiteFeatureFlagStore, string>();
  let current: SQLiteFeatureFlagStore | undefined;
  return {
    makeStore: async ({ logger }) => {
      const dir = mkdtempSync(join(tmpdir(), 'flipper-sqlite-'));
      current = new SQLiteFeatureFlagStore(join(dir, 'flags.db'), { logger });
      dirs.set(current, dir);
      await prepare(current);
      return current;
    },
    writeRaw: async (store, name, json) => {
      store.db.prepare('INSERT OR REPLACE INTO feature_flags (name, item) VALUES (?, ?)').run(name, json);
    },
    readRaw: async (store, name) =>
      store.db.prepare('SELECT item FROM feature_flags WHERE name = ?').pluck().get(name) as string | undefined,
    // Another table in the same database file.
    makeNeighbour: ({ logger }) => new SQLiteFeatureFlagStore(current!.db, { tableName: 'other_flags', logger }),
    // Another connection to the same file.
    makeSecondStore: (store, { logger }) => new SQLiteFeatureFlagStore(store.db.name, { logger }),
    cleanup: async (store) => {
      const dir = dirs.get(store);
      if (dir === undefined) return;
      dirs.delete(store);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    notApplicable: { unreachableBackend: embedded, hangingBackend: embedded },
  };
}
