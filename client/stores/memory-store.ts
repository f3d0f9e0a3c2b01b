import {
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
  FlagDoesNotExistError,
  compareUtf8,
  systemClock,
  validatePage,
  type Clock,
} from '../../shared';
import type { CreateOptions, FeatureFlagStore, ListOptions } from './feature-flag-store';
import { slicePage } from '../../shared/page';

export interface MemoryFeatureFlagStoreOptions {
  /** Source of `createdDate`, in Unix seconds. Default: the system clock. */
  clock?: Clock;
}

/** Keeps flags in a `Map`: for tests, development, and as the server's throwaway store. */
export class MemoryFeatureFlagStore implements FeatureFlagStore {
  private readonly items = new Map<string, FeatureFlagStoreItem>();
  private readonly clock: Clock;

  constructor(options: MemoryFeatureFlagStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async create(featureName: string, options: CreateOptions = {}): Promise<FeatureFlagStoreItem> {
    const item = new FeatureFlagStoreItem(
      featureName,
      options.isEnabled ?? false,
      new FeatureFlagStoreMeta({ createdDate: Math.floor(this.clock()), clientData: options.clientData }),
    );
    this.items.set(featureName, item);
    return item;
  }

  async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    return this.items.get(featureName);
  }

  peek(featureName: string): FeatureFlagStoreItem | null | undefined {
    return this.items.get(featureName) ?? null;
  }

  async set(featureName: string, isEnabled: boolean): Promise<void> {
    const item = this.items.get(featureName);
    if (item) this.items.set(featureName, item.withEnabled(isEnabled));
    else await this.create(featureName, { isEnabled });
  }

  async delete(featureName: string): Promise<void> {
    this.items.delete(featureName);
  }

  async list(options: ListOptions = {}): Promise<FeatureFlagStoreItem[]> {
    validatePage(options.limit, options.offset);
    const names = [...this.items.keys()].sort(compareUtf8);
    return slicePage(names, options.limit, options.offset ?? 0).map((name) => this.items.get(name)!);
  }

  async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    const item = this.items.get(featureName);
    if (!item) throw new FlagDoesNotExistError(featureName);
    this.items.set(featureName, item.withMeta(meta));
  }

  async close(): Promise<void> {}
}
