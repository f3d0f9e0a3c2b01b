import {
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
  FlagDoesNotExistError,
  compareUtf8,
  systemClock,
  validateFlagName,
  validatePage,
  type Clock,
} from '../../shared';
import { rememberRevision, revisionOf } from '../../shared/model/revision';
import type { CreateOptions, FeatureFlagStore, ItemChange, ListOptions } from './feature-flag-store';
import { slicePage } from '../../shared/page';
import { checkFlagSize, maxFlagBytesOption } from '../../shared/model/flag-size';

export interface MemoryFeatureFlagStoreOptions {
  /** Source of `createdDate`, in Unix seconds. Default: the system clock. */
  clock?: Clock;
  /**
   * Largest flag a write may leave, in bytes of its stored JSON (as the other stores would store
   * it); a larger one is refused with `InvalidArgumentError` and nothing is written. Default 512 KiB.
   */
  maxFlagBytes?: number;
}

/**
 * Keeps flags in a `Map`: for tests, development, and as the server's throwaway store. Every
 * operation runs without awaiting anything in between, so each is atomic; `update` never conflicts.
 * An item's revision is a counter bumped by every write.
 */
export class MemoryFeatureFlagStore implements FeatureFlagStore {
  private readonly items = new Map<string, FeatureFlagStoreItem>();
  private readonly clock: Clock;
  private writes = 0;
  private readonly maxFlagBytes: number;
  /** Every name in `list` order, until a name is added or removed. */
  private sortedNames: string[] | undefined;

  constructor(options: MemoryFeatureFlagStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxFlagBytes = maxFlagBytesOption(options.maxFlagBytes);
  }

  async create(featureName: string, options: CreateOptions = {}): Promise<FeatureFlagStoreItem> {
    validateFlagName(featureName);
    const item = new FeatureFlagStoreItem(
      featureName,
      options.isEnabled ?? false,
      new FeatureFlagStoreMeta({ createdDate: Math.floor(this.clock()), clientData: options.clientData }),
    );
    this.store(featureName, item);
    return item;
  }

  async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    validateFlagName(featureName);
    return this.items.get(featureName);
  }

  peek(featureName: string): FeatureFlagStoreItem | null | undefined {
    return this.items.get(featureName) ?? null;
  }

  async set(featureName: string, isEnabled: boolean): Promise<void> {
    validateFlagName(featureName);
    const item = this.items.get(featureName);
    if (item) this.store(featureName, item.withEnabled(isEnabled));
    else await this.create(featureName, { isEnabled });
  }

  async delete(featureName: string): Promise<void> {
    validateFlagName(featureName);
    if (this.items.delete(featureName)) this.sortedNames = undefined;
  }

  async list(options: ListOptions = {}): Promise<FeatureFlagStoreItem[]> {
    validatePage(options.limit, options.offset);
    // Sorted once per change of the set of names: a walk through many pages sorts once.
    const names = (this.sortedNames ??= [...this.items.keys()].sort(compareUtf8));
    return slicePage(names, options.limit, options.offset ?? 0).map((name) => this.items.get(name)!);
  }

  async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    validateFlagName(featureName);
    const item = this.items.get(featureName);
    if (!item) throw new FlagDoesNotExistError(featureName);
    this.store(featureName, item.withMeta(meta));
  }

  async update(featureName: string, change: ItemChange): Promise<FeatureFlagStoreItem> {
    validateFlagName(featureName);
    const item = this.items.get(featureName);
    if (!item) throw new FlagDoesNotExistError(featureName);
    const next = change(item, revisionOf(item));
    if (next !== item) this.store(featureName, next);
    return next;
  }

  private store(featureName: string, item: FeatureFlagStoreItem): void {
    // Switching a flag on or off keeps its meta, and so its size.
    if (this.items.get(featureName)?.meta !== item.meta) checkFlagSize(item, this.maxFlagBytes);
    rememberRevision(item, `m${++this.writes}`);
    if (!this.items.has(featureName)) this.sortedNames = undefined;
    this.items.set(featureName, item);
  }

  async close(): Promise<void> {}
}
