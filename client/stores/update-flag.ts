import { FlagDoesNotExistError, type FeatureFlagStoreItem } from '../../shared';
import { revisionOf } from '../../shared/model/revision';
import type { FeatureFlagStore, ItemChange, UpdateOptions } from './feature-flag-store';

/**
 * `store.update(...)` when the store has it. A third-party store without it gets the old
 * read-then-write (a concurrent writer's change can be lost there, as the store gives no way to
 * prevent it): `get`, then `set` when only the on/off state changed, else `setMeta` (and `set`).
 */
export async function updateFlag(
  store: FeatureFlagStore,
  featureName: string,
  change: ItemChange,
  options?: UpdateOptions,
): Promise<FeatureFlagStoreItem> {
  if (store.update !== undefined) return store.update(featureName, change, options);
  const current = await store.get(featureName);
  if (current === undefined) throw new FlagDoesNotExistError(featureName);
  const next = change(current, revisionOf(current));
  if (next === current) return current;
  if (next.meta !== current.meta) await store.setMeta(featureName, next.meta);
  // Also when the meta is unchanged: the stored state may only read as `next.isEnabled` (Python's null).
  if (next.isEnabled !== current.isEnabled || next.meta === current.meta) await store.set(featureName, next.isEnabled);
  return next;
}
