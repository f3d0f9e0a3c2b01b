import { LRUCache } from 'lru-cache';
import {
  InvalidArgumentError,
  type Clock,
  type FeatureFlagStoreItem,
  type FeatureFlagStoreMeta,
} from '../../../shared';
import { StateChangeLog } from '../../calls/state-change-log';
import { defaultLogger, type FlipperLogger } from '../../logger';
import type { CreateOptions, FeatureFlagStore, ItemChange, UpdateOptions } from '../feature-flag-store';
import { updateFlag } from '../update-flag';
import { StoreWrapper } from './store-wrapper';

export interface CachedFeatureFlagStoreOptions {
  /** Flags kept at most; the least recently read is dropped first. Default 5000 (as in Python). */
  size?: number;
  /**
   * Seconds a cached flag is served before the backend is read again; other processes' changes
   * to a cached flag are seen only after it. Default: none, a flag stays until evicted (as in Python).
   */
  ttl?: number;
  /**
   * Seconds a flag found absent is remembered as absent, so a flag created by another process
   * appears after at most this long (Python remembers absence forever). 0 disables. Default 5.
   */
  missTtl?: number;
  /** Where backend failures are logged, once per change between failing and working. Default: pino on stderr at warn. */
  logger?: FlipperLogger;
  /** Source of time for the TTLs, in Unix seconds; for tests. Default: the system's monotonic clock. */
  clock?: Clock;
}

/** Marks a flag known to be absent: lru-cache cannot hold `undefined` or `null`. */
const ABSENT = Symbol('absent');
type Entry = FeatureFlagStoreItem | typeof ABSENT;

// Fixed option objects: the read and write paths allocate none of their own.
const STALE_TOO = { allowStale: true } as const;
const KEEP_TTL = { noUpdateTTL: true } as const;

/**
 * Serves reads from an in-process LRU cache in front of any store (Python's
 * `CachedFeatureFlagStore`). Reads of a cached flag cost no I/O; a miss reads the backend once,
 * however many callers wait for it. Writes go to the backend and, once it has accepted them,
 * update the cache; a failed write leaves the cache as it was. When the backend fails, a cached
 * copy (even one past its TTL) is served and the failure logged. `list` always reads the backend.
 */
export class CachedFeatureFlagStore extends StoreWrapper {
  private readonly cache: LRUCache<string, Entry>;
  private readonly missOptions?: { ttl: number };
  /** Logs backend read failures once per change between failing and working. */
  private readonly failures: StateChangeLog;
  private readonly loading = new Map<string, Promise<FeatureFlagStoreItem | undefined>>();
  /** Bumped at the start and end of every write, so a read that overlapped one does not cache what it read. */
  private writes = 0;

  constructor(store: FeatureFlagStore, options: CachedFeatureFlagStoreOptions = {}) {
    super(store);
    const size = options.size ?? 5000;
    if (!Number.isInteger(size) || size < 1) {
      throw new InvalidArgumentError(`size must be a positive integer, got ${String(size)}`);
    }
    const ttl = seconds(options.ttl, 'ttl', false);
    const missTtl = seconds(options.missTtl ?? 5, 'missTtl', true)!;
    this.missOptions = missTtl === 0 ? undefined : { ttl: missTtl };
    const clock = options.clock;
    this.cache = new LRUCache<string, Entry>({
      max: size,
      ...(ttl === undefined ? {} : { ttl }),
      // A copy past its TTL stays until replaced, so it can be served while the backend is down.
      noDeleteOnStaleGet: true,
      ...(clock ? { perf: { now: () => clock() * 1000 }, ttlResolution: 0 } : {}),
    });
    this.failures = new StateChangeLog(
      options.logger ?? defaultLogger({ store: 'cached' }),
      { store: 'cached' },
      { failing: 'backend read failed; serving cached copies while it fails', working: 'backend reads work again' },
    );
  }

  /** The cached flag, `null` when it is cached as absent, `undefined` when it is not cached. No I/O. */
  override peek(featureName: string): FeatureFlagStoreItem | null | undefined {
    const entry = this.cache.get(featureName);
    return entry === ABSENT ? null : entry;
  }

  override async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    const entry = this.cache.get(featureName);
    if (entry !== undefined) return entry === ABSENT ? undefined : entry;
    let loading = this.loading.get(featureName);
    if (loading === undefined) {
      const started: Promise<FeatureFlagStoreItem | undefined> = this.load(featureName).finally(() => {
        // A write may have replaced this read with a newer one: leave that one in place.
        if (this.loading.get(featureName) === started) this.loading.delete(featureName);
      });
      this.loading.set(featureName, started);
      loading = started;
    }
    return loading;
  }

  override async create(featureName: string, options?: CreateOptions): Promise<FeatureFlagStoreItem> {
    return this.write(featureName, async () => {
      const item = await this.inner.create(featureName, options);
      this.cache.set(featureName, item);
      return item;
    });
  }

  override async set(featureName: string, isEnabled: boolean): Promise<void> {
    await this.write(featureName, async () => {
      await this.inner.set(featureName, isEnabled);
      this.patchCached(featureName, (item) => item.withEnabled(isEnabled));
    });
  }

  override async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    await this.write(featureName, async () => {
      await this.inner.setMeta(featureName, meta);
      this.patchCached(featureName, (item) => item.withMeta(meta));
    });
  }

  /** Always on the backend (a cached copy may be stale); the cache then holds the stored result. */
  override async update(
    featureName: string,
    change: ItemChange,
    options?: UpdateOptions,
  ): Promise<FeatureFlagStoreItem> {
    return this.write(featureName, async () => {
      const item = await updateFlag(this.inner, featureName, change, options);
      this.cache.set(featureName, item, KEEP_TTL);
      return item;
    });
  }

  override async delete(featureName: string): Promise<void> {
    await this.write(featureName, async () => {
      await this.inner.delete(featureName);
      if (this.missOptions) this.cache.set(featureName, ABSENT, this.missOptions);
      else this.cache.delete(featureName);
    });
  }

  // list: the backend's (the base class), as a page cannot be answered from a partial cache.

  /** Empties the cache and closes the wrapped store. */
  override async close(): Promise<void> {
    this.cache.clear();
    await super.close();
  }

  private async load(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    const writesBefore = this.writes;
    let item: FeatureFlagStoreItem | undefined;
    try {
      item = await this.inner.get(featureName);
    } catch (error) {
      const stale = this.cache.peek(featureName, STALE_TOO);
      this.failures.failed({ flag: featureName, err: error, servedStale: stale !== undefined });
      if (stale === undefined) throw error;
      return stale === ABSENT ? undefined : stale;
    }
    this.failures.succeeded();
    if (this.writes === writesBefore) {
      if (item !== undefined) this.cache.set(featureName, item);
      else if (this.missOptions) this.cache.set(featureName, ABSENT, this.missOptions);
    }
    return item;
  }

  private async write<T>(featureName: string, work: () => Promise<T>): Promise<T> {
    this.writes++;
    // A read started before this write must not be joined by reads made after it.
    this.loading.delete(featureName);
    try {
      return await work();
    } finally {
      this.writes++;
    }
  }

  /**
   * Applies an accepted change to the cached copy, keeping its expiry so the change does not
   * extend how long other processes' writes go unseen. A flag not cached is read on next use.
   */
  private patchCached(featureName: string, change: (item: FeatureFlagStoreItem) => FeatureFlagStoreItem): void {
    const cached = this.cache.peek(featureName, STALE_TOO);
    if (cached === undefined || cached === ABSENT) this.cache.delete(featureName);
    else this.cache.set(featureName, change(cached), KEEP_TTL);
  }
}

/** Seconds from an option, as lru-cache's whole milliseconds; undefined stays undefined. */
function seconds(value: number | undefined, option: string, zeroAllowed: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new InvalidArgumentError(
      `${option} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number of seconds, got ${String(value)}`,
    );
  }
  return value === 0 ? 0 : Math.max(1, Math.round(value * 1000));
}
