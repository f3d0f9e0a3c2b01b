import type { ClientData, FeatureFlagStoreItem, FeatureFlagStoreMeta } from '../../shared';

export interface CreateOptions {
  /** Default false. */
  isEnabled?: boolean;
  /** Default `{}`. */
  clientData?: ClientData;
}

export interface ListOptions {
  /** How many flags at most; absent means all. A negative value throws `InvalidArgumentError`. */
  limit?: number;
  /** How many flags to skip first. Default 0. A negative value throws `InvalidArgumentError`. */
  offset?: number;
}

/**
 * The contract every backend implements (the Python library's `AbstractFeatureFlagStore`).
 * Write your own by implementing it and running `describeStoreConformance` from `flipper-client/testing` against it.
 *
 * Errors: a failing backend rejects with `StoreError`, `TimeoutError` or `ConnectionError`; a
 * stored item that does not parse rejects `get` with `InvalidItemError`. A store never caches
 * unless it is the cache wrapper: two stores over one backend see each other's writes at once.
 */
export interface FeatureFlagStore {
  /**
   * Stores a fresh flag (created now, no conditions, no bucketer) and returns it. An existing flag
   * of that name is replaced.
   */
  create(featureName: string, options?: CreateOptions): Promise<FeatureFlagStoreItem>;

  /** The flag, or `undefined` when there is none of that name. */
  get(featureName: string): Promise<FeatureFlagStoreItem | undefined>;

  /**
   * Optional fast path for stores that hold items in memory (the memory store, a cache hit): the
   * item when it can be had without I/O, `null` when it is known to be absent, `undefined` when
   * the caller must use `get`. Never throws; `isEnabled` uses it to skip a promise per call.
   */
  peek?(featureName: string): FeatureFlagStoreItem | null | undefined;

  /** Turns a flag on or off, keeping its meta; a missing flag is created with that state. */
  set(featureName: string, isEnabled: boolean): Promise<void>;

  /** Removes a flag; removing a missing flag does nothing. */
  delete(featureName: string): Promise<void>;

  /**
   * Flags in ascending order of the UTF-8 bytes of their names, `offset` skipped, at most `limit`.
   * Items that do not parse are skipped and logged.
   */
  list(options?: ListOptions): Promise<FeatureFlagStoreItem[]>;

  /** Replaces a flag's meta; a missing flag rejects with `FlagDoesNotExistError`. */
  setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void>;

  /** Releases connections and timers the store owns. Optional; safe to call twice. */
  close?(): Promise<void>;
}
