import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { withWriteContext } from '../../client/calls/write-context';
import type { HistoryLog } from '../../server/history/history-log';

/**
 * A write as the flag server makes it, by `actor`: the flag (re)created with the actor in its client
 * data, so every write changes it, in the write context, then recorded.
 */
export async function writeRecorded(
  store: FeatureFlagStore,
  log: HistoryLog,
  name: string,
  actor: string,
): Promise<void> {
  const context = { operation: 'Create', actor };
  await withWriteContext(context, () => store.create(name, { clientData: { by: actor } }));
  await log.recordWrite(name, context);
}
