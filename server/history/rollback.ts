import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { updateFlag } from '../../client/stores/update-flag';
import { ConflictError, FlagDoesNotExistError, deserializeItem, type FeatureFlagStoreItem } from '../../shared';
import type { HistoryRecord } from '../../shared/model/history';
import { revisionOf } from '../../shared/model/revision';
import { itemToStored } from '../../shared/model/stored-codec';
import { writeStoredJson } from '../../shared/stored-json';
import type { HistoryLog } from './history-log';

export interface RollbackRequest {
  store: FeatureFlagStore;
  history: HistoryLog;
  name: string;
  /** The entry whose `after` is restored. */
  version: number;
  /** The revision the caller last saw: when the flag moved past it, CONFLICT. */
  expectedRevision?: string;
}

/** No entry at the version asked for: answered as NOT_FOUND, naming the version. */
export class VersionNotFoundError extends FlagDoesNotExistError {
  constructor(name: string, version: number) {
    super(name);
    this.message = `Feature flag ${JSON.stringify(name)} has no recorded change at version ${version} (see its history)`;
  }
}

/**
 * Restores a flag as it was after the change recorded at `version` (deletes it when that change
 * deleted it), run by the server inside the flag's write queue and write context, so it is itself
 * a recorded change. Never a silent overwrite: the flag must still be as its newest entry says
 * (else someone changed it since, unrecorded yet: CONFLICT), and as `expectedRevision` when given;
 * an existing flag is replaced by a conditional update, so a write landing between the check and
 * the write is a CONFLICT too. Deleting, or re-creating a deleted flag, has no compare-and-set in
 * the store contract: those are checked inside the queue, which orders this server's writes, but
 * another server's write in between can be lost (said in the README).
 */
export async function rollBack(request: RollbackRequest): Promise<void> {
  const { store, history, name, version, expectedRevision } = request;
  await history.reconcile([name]);
  const [target] = await history.entries(name, { limit: 1, beforeVersion: version + 1 });
  if (target === undefined || target.version !== version) throw new VersionNotFoundError(name, version);
  const [newest] = await history.entries(name, { limit: 1 });
  const restored = target.after === undefined ? undefined : deserializeItem(target.after);
  const current = await store.get(name);
  const stale = (item: FeatureFlagStoreItem | undefined, revision: string | undefined) => {
    if (!sameStored(item, newest)) {
      return `Feature flag ${JSON.stringify(name)} changed after its newest recorded change; read its history again`;
    }
    if (expectedRevision !== undefined && revision !== expectedRevision) {
      return `Feature flag ${JSON.stringify(name)} changed since revision ${expectedRevision} was read`;
    }
    return undefined;
  };
  if (current === undefined) {
    const refusal = stale(undefined, undefined);
    if (refusal !== undefined) throw new ConflictError(refusal);
    if (restored === undefined) return;
    await store.create(name, { isEnabled: restored.isEnabled, clientData: restored.meta.clientData });
    await store.setMeta(name, restored.meta);
    return;
  }
  if (restored === undefined) {
    const refusal = stale(current, revisionOf(current));
    if (refusal !== undefined) throw new ConflictError(refusal);
    await store.delete(name);
    return;
  }
  await updateFlag(store, name, (item, revision) => {
    const refusal = stale(item, revision);
    if (refusal !== undefined) throw new ConflictError(refusal);
    return sameStored(item, target) ? item : restored;
  });
}

/** True when the item is the state an entry recorded (compared as canonical stored JSON: the spacing of another writer's text does not count). */
function sameStored(item: FeatureFlagStoreItem | undefined, entry: HistoryRecord | undefined): boolean {
  const recorded = entry?.after;
  if (item === undefined || recorded === undefined) return item === undefined && recorded === undefined;
  try {
    return canonical(item) === canonical(deserializeItem(recorded));
  } catch {
    return false;
  }
}

function canonical(item: FeatureFlagStoreItem): string {
  return writeStoredJson(itemToStored(item));
}
