import type {
  ClientData,
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
  HistoryEntry,
  HistoryOptions,
  RollbackOptions,
} from '../../shared';
import type { ConflictRetryOptions } from '../calls/conflict-retry';

export type { ConflictRetryOptions } from '../calls/conflict-retry';

/**
 * The change an `update` applies: the flag as stored now and its revision (what a conditional
 * write over RPC compares; undefined where the store has none) in, the flag to store out. It may
 * run several times (once per attempt), so it must be synchronous and free of side effects; an
 * error it throws ends the update with nothing written. Returning `current` itself writes nothing.
 */
export type ItemChange = (current: FeatureFlagStoreItem, revision: string | undefined) => FeatureFlagStoreItem;

/** How `update` retries on conflicts; the store's own defaults apply to what is left out. */
export type UpdateOptions = ConflictRetryOptions;

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
 * write whose answer was lost after it may have reached the backend rejects with
 * `OutcomeUnknownError`; a stored item that does not parse rejects `get` with `InvalidItemError`.
 *
 * Size: a write that would leave a flag over 512 KiB of stored JSON (the stores' `maxFlagBytes`)
 * rejects with `InvalidArgumentError` and writes nothing; switching a flag on or off never does, and
 * reads never check (a larger flag written by another program is read).
 *
 * Atomicity: `create`, `set`, `setMeta`, `delete` and `update` never lose or resurrect each
 * other's effects, within a process, across processes and across servers over one backend. A store never caches
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

  /**
   * Conditional read-modify-write: applies `change` to the flag as stored now and stores the
   * result only if nobody changed the flag in between (each backend's own primitive: a transaction,
   * a compare-and-set); otherwise reads it again and retries, a bounded number of times with
   * random pauses (`ConflictError` when they are spent). Resolves with the item stored. A missing
   * flag rejects with `FlagDoesNotExistError` without calling `change`.
   *
   * Optional for third-party stores: without it the client falls back to `get` then `set`/`setMeta`,
   * which can lose a concurrent writer's change. Every store of this package has it.
   */
  update?(featureName: string, change: ItemChange, options?: UpdateOptions): Promise<FeatureFlagStoreItem>;

  /**
   * The flag's recorded changes, newest first. Only stores backed by a flag server have it (the
   * server keeps the history); `client.history` says so for the others.
   */
  history?(featureName: string, options: HistoryOptions): Promise<HistoryEntry[]>;

  /** Restores a flag as recorded at a version, through the flag server (see `client.rollback`). */
  rollback?(featureName: string, version: number, options: RollbackOptions): Promise<HistoryEntry>;

  /** Releases connections and timers the store owns. Optional; safe to call twice. */
  close?(): Promise<void>;
}
