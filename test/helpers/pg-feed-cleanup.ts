import type { Pool } from 'pg';
import { changeTriggerNames } from '../../client/stores/postgres-change-trigger';

/** Drops a flags table and what its change trigger installed beside it (its version and history tables, its functions). */
export async function dropFlagTableAndFeed(pool: Pool, table: string): Promise<void> {
  const names = changeTriggerNames(table);
  for (const name of [table, names.head, names.versions, names.history]) {
    await pool.query(`DROP TABLE IF EXISTS "${name.replace(/"/g, '""')}" CASCADE`);
  }
  for (const name of [names.changedFunction, names.truncatedFunction]) {
    await pool.query(`DROP FUNCTION IF EXISTS "${name.replace(/"/g, '""')}"()`);
  }
}
