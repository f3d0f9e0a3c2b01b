import { EventEmitter } from 'node:events';
import type { FeatureFlagStoreItem, FeatureFlagStoreMeta } from '../../../shared';
import type { CreateOptions, FeatureFlagStore, ItemChange, ListOptions, UpdateOptions } from '../feature-flag-store';
import { updateFlag } from '../update-flag';

/**
 * What every wrapper store shares: it stands in front of an `inner` store (reads come from it, and
 * every call a wrapper does not change goes to it) and possibly `others` (replicas, say), and closing
 * the wrapper closes them all. A wrapper overrides only what it changes. It is an EventEmitter,
 * typed by `Events`, because wrappers report what happens behind them (replication errors); one
 * with nothing to report has no events (`Record<never, never>`), so nothing can be listened to.
 */
export abstract class StoreWrapper<Events extends Record<keyof Events, unknown[]> = Record<never, never>>
  extends EventEmitter<Events>
  implements FeatureFlagStore
{
  protected constructor(
    protected readonly inner: FeatureFlagStore,
    protected readonly others: readonly FeatureFlagStore[] = [],
  ) {
    super();
  }

  /** The inner store's fast path, when it has one. */
  peek(featureName: string): FeatureFlagStoreItem | null | undefined {
    return this.inner.peek?.(featureName);
  }

  get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    return this.inner.get(featureName);
  }

  list(options?: ListOptions): Promise<FeatureFlagStoreItem[]> {
    return this.inner.list(options);
  }

  create(featureName: string, options?: CreateOptions): Promise<FeatureFlagStoreItem> {
    return this.inner.create(featureName, options);
  }

  set(featureName: string, isEnabled: boolean): Promise<void> {
    return this.inner.set(featureName, isEnabled);
  }

  setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    return this.inner.setMeta(featureName, meta);
  }

  delete(featureName: string): Promise<void> {
    return this.inner.delete(featureName);
  }

  /** The inner store's conditional update (or the read-then-write fallback when it has none). */
  update(featureName: string, change: ItemChange, options?: UpdateOptions): Promise<FeatureFlagStoreItem> {
    return updateFlag(this.inner, featureName, change, options);
  }

  /**
   * Closes the inner store and the others, all of them even when one fails. A failure of the
   * inner store rejects; the others' failures go to `closeFailed`.
   */
  async close(): Promise<void> {
    const results = await Promise.allSettled([this.inner, ...this.others].map((store) => store.close?.()));
    results.slice(1).forEach((result, index) => {
      if (result.status === 'rejected') this.closeFailed(index, result.reason);
    });
    if (results[0].status === 'rejected') throw results[0].reason;
  }

  /** Called for each of the `others` whose close failed (by index); rejecting is for the inner store only. */
  protected closeFailed(_index: number, _reason: unknown): void {}
}
