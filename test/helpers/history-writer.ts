// Forked by the SQLite history test: a second process writing flags `shared-0` to `shared-4` on the
// file in argv[2] and recording each write in the history, while the test's own process writes the
// same flags. argv[4] writes, each by actor `<argv[3]>-<i>`, each a change (the actor is in client data).
import { SQLiteFeatureFlagStore } from '../../client';
import { DEFAULT_HISTORY_RETENTION } from '../../shared/model/history';
import { SQLiteHistoryLog } from '../../server/history/sqlite-history-log';
import { quietLogger } from './rpc-served';
import { writeRecorded } from './history-writes';

async function main(): Promise<void> {
  const [file, prefix, count] = process.argv.slice(2);
  const store = new SQLiteFeatureFlagStore(file!);
  const log = new SQLiteHistoryLog(store, { logger: quietLogger, retention: DEFAULT_HISTORY_RETENTION });
  await log.open();
  for (let i = 0; i < Number(count); i++) {
    await writeRecorded(store, log, `shared-${i % 5}`, `${prefix}-${i}`);
  }
  await store.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
