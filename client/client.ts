import {
  Bucketer,
  Checks,
  ClientData,
  Condition,
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
  FlagDoesNotExistError,
  FlipperError,
  HistoryUnavailableError,
  InvalidArgumentError,
  ScoreMemo,
  InvalidItemError,
  SyncEvaluationUnsupportedError,
  isJsonObject,
  scoreMemoOf,
  validateFlagName,
  validatePage,
  type HistoryEntry,
  type HistoryOptions,
  type RollbackOptions,
  type WriteContext,
} from '../shared';
// From its module, not the index: a name re-exported by `export *` is read through a getter on
// every call (about 8 ns of a 20 ns `isEnabledSync`, measured).
import { evaluate } from '../shared/evaluation';
import { contextText } from '../shared/thrift/history-mapping';
import { withWriteContext } from './calls/write-context';
import { EventType, FlipperEventEmitter, IEventEmitter } from './events';
import { explainItem, type Explanation } from './explanation';
import { FeatureFlag } from './feature-flag';
import { StateChangeLog } from './calls/state-change-log';
import { defaultLogger, FlipperLogger } from './logger';
import type { FeatureFlagStore, ListOptions, UpdateOptions } from './stores/feature-flag-store';
import { updateFlag } from './stores/update-flag';

export interface IsEnabledOptions {
  /** Returned when the flag is missing, malformed or unreachable. Default false. */
  default?: boolean;
}

export interface CreateFlagOptions extends WriteContext {
  /** Default false. */
  isEnabled?: boolean;
  /** Any JSON object, stored with the flag. Default `{}`. */
  clientData?: ClientData;
}

export interface FeatureFlagClientOptions {
  /** Where evaluation failures are logged (once per flag each time the failure changes). Default: pino at warn on stderr. */
  logger?: FlipperLogger;
  /** How changes retry when another writer changed the flag first (`store.update`). Default: the store's. */
  conflictRetry?: UpdateOptions;
  /**
   * How many consistent-hash scores to remember per whitelisted key (the last half of them used at
   * least), so a returning user costs a lookup instead of a SHA-1; the answer is the same either
   * way. 0 turns it off. Default 10,000.
   */
  scoreMemoSize?: number;
}

/**
 * The library's entry point: evaluates flags and changes them, over any `FeatureFlagStore`.
 * `isEnabled` and `explain` never throw; changes to a missing flag throw `FlagDoesNotExistError`.
 */
export class FeatureFlagClient {
  /** Emits an `EventType` before and after every change; replace it with your own `IEventEmitter` if you like. */
  events: IEventEmitter = new FlipperEventEmitter();
  readonly store: FeatureFlagStore;
  private readonly logger: FlipperLogger;
  /**
   * Flags failing on their own (a stored item that does not parse, say), each logging once per
   * change of its failure, not once per call.
   */
  private readonly failing = new Map<string, StateChangeLog>();
  /**
   * The store failing (unreachable, timing out): one log per outage, whatever the number of flags
   * checked meanwhile, then one line with the count when it answers again.
   */
  private readonly storeFailures: StateChangeLog;
  private readonly conflictRetry?: UpdateOptions;
  /** Consistent-hash scores already computed, shared by every flag (the flag name is not hashed). */
  private readonly scoreMemo: ScoreMemo | undefined;

  constructor(store: FeatureFlagStore, options: FeatureFlagClientOptions = {}) {
    this.store = store;
    this.conflictRetry = options.conflictRetry;
    this.scoreMemo = scoreMemoOf(options.scoreMemoSize);
    this.logger = options.logger ?? defaultLogger({ component: 'flipper-client' });
    this.storeFailures = new StateChangeLog(this.logger, {}, STORE_FAILURE_MESSAGES);
  }

  /**
   * Whether the flag is on for these checks; the default (false) when it is missing, malformed or
   * unreachable. Pass ids beyond 2^53 as `bigint`: integers compare exactly, as in Python.
   */
  isEnabled(featureName: string, checks?: Checks, options?: IsEnabledOptions): Promise<boolean> {
    try {
      // A store that can answer from memory saves the await, and the answer its promise.
      const item = this.store.peek === undefined ? undefined : this.store.peek(featureName);
      if (item === undefined) return this.isEnabledFromStore(featureName, checks, options);
      if (this.storeFailures.failing) this.storeFailures.succeeded();
      return settled(this.evaluateHeld(featureName, item, checks, options));
    } catch (error) {
      return this.defaultAfter(featureName, error, options);
    }
  }

  private async isEnabledFromStore(featureName: string, checks?: Checks, options?: IsEnabledOptions): Promise<boolean> {
    try {
      const item = await this.store.get(featureName);
      if (this.storeFailures.failing) this.storeFailures.succeeded();
      return this.evaluateHeld(featureName, item ?? null, checks, options);
    } catch (error) {
      return this.defaultAfter(featureName, error, options);
    }
  }

  /** Logs the failure and answers the default; async, so that even a logger's throw is a rejection, never a throw. */
  private async defaultAfter(featureName: string, error: unknown, options?: IsEnabledOptions): Promise<boolean> {
    this.failed(featureName, error);
    return options?.default ?? false;
  }

  /**
   * `isEnabled` without a promise, for stores that hold flags in memory (memory, a replica, a cache
   * hit): the same answer, the default when the flag is missing or malformed. On a store that would
   * need I/O to answer (a backend store, a cache miss) it throws `SyncEvaluationUnsupportedError`
   * rather than answer a default that would look real.
   */
  isEnabledSync(featureName: string, checks?: Checks, options?: IsEnabledOptions): boolean {
    const store = this.store;
    const item = store.peek === undefined ? undefined : store.peek(featureName);
    if (item === undefined) throw this.cannotAnswerSync(featureName);
    return this.evaluateHeld(featureName, item, checks, options);
  }

  /** The answer for a flag the store gave (`null`: it has none), the default when it is missing or malformed. */
  private evaluateHeld(
    featureName: string,
    item: FeatureFlagStoreItem | null,
    checks: Checks | undefined,
    options: IsEnabledOptions | undefined,
  ): boolean {
    if (item === null) return options?.default ?? false;
    try {
      const value = evaluate(item, checks, undefined, this.scoreMemo);
      if (this.failing.size > 0) this.recovered(featureName);
      return value;
    } catch (error) {
      this.failed(featureName, error);
      return options?.default ?? false;
    }
  }

  private cannotAnswerSync(featureName: string): SyncEvaluationUnsupportedError {
    const store = this.store.constructor.name;
    return new SyncEvaluationUnsupportedError(
      this.store.peek === undefined
        ? `isEnabledSync needs a store that holds flags in memory; ${store} does not: use await isEnabled`
        : `isEnabledSync: ${store} cannot answer for ${JSON.stringify(featureName)} without I/O (not cached): use await isEnabled`,
    );
  }

  /**
   * How the store's data stands, once it is loaded or after `timeout` ms: `fresh` (from the flag
   * server, or a store that reads its backend on every call), `bootstrap`, `stale` (the last
   * snapshot on disk) or `defaults` (nothing: every check gives its default). Never hangs or rejects.
   */
  async ready(options: { timeout?: number } = {}): Promise<'fresh' | 'bootstrap' | 'stale' | 'defaults'> {
    const store = this.store as FeatureFlagStore & {
      ready?: (options: { timeout?: number }) => Promise<'fresh' | 'bootstrap' | 'stale' | 'defaults'>;
    };
    return typeof store.ready === 'function' ? store.ready(options) : 'fresh';
  }

  /** What `isEnabled` would return, and why, from the same evaluator. Never throws. */
  async explain(featureName: string, checks?: Checks, options?: IsEnabledOptions): Promise<Explanation> {
    const fallback = options?.default ?? false;
    try {
      // The store's memory fast path, as isEnabled: `null` is known absent, `undefined` ask the store.
      let item = this.store.peek === undefined ? undefined : this.store.peek(featureName);
      if (item === undefined) item = await this.store.get(featureName);
      if (item == null) return { featureName, value: fallback, reason: 'FLAG_NOT_FOUND' };
      return explainItem(featureName, item, checks, this.scoreMemo);
    } catch (error) {
      this.failed(featureName, error);
      const code = error instanceof FlipperError ? error.code : 'UNKNOWN';
      return {
        featureName,
        value: fallback,
        reason: 'ERROR',
        error: { code, message: String((error as Error)?.message ?? error) },
      };
    }
  }

  /** Creates (or replaces) a flag, off unless `isEnabled`, and returns its handle. */
  async create(featureName: string, options: CreateFlagOptions = {}): Promise<FeatureFlag> {
    validateFlagName(featureName);
    const isEnabled = options.isEnabled ?? false;
    if (typeof isEnabled !== 'boolean') throw new InvalidArgumentError('isEnabled must be a boolean');
    const clientData = options.clientData;
    if (clientData !== undefined) assertClientData(clientData);
    this.events.emit(EventType.PRE_CREATE, featureName, { isEnabled, clientData });
    await inContext(options, () => this.store.create(featureName, { isEnabled, clientData }));
    this.events.emit(EventType.POST_CREATE, featureName, { isEnabled, clientData });
    return this.get(featureName);
  }

  /** Whether a flag of that name is stored. */
  async exists(featureName: string): Promise<boolean> {
    return (await this.store.get(featureName)) !== undefined;
  }

  /** A handle on the flag; does not touch the store. */
  get(featureName: string): FeatureFlag {
    return new FeatureFlag(featureName, this);
  }

  /** Turns the flag on; `context` says who and why (recorded by a flag server's history). */
  async enable(featureName: string, context?: WriteContext): Promise<void> {
    await this.change(featureName, EventType.PRE_ENABLE, {}, (item) => item.withEnabled(true), context);
    this.events.emit(EventType.POST_ENABLE, featureName, {});
  }

  async disable(featureName: string, context?: WriteContext): Promise<void> {
    await this.change(featureName, EventType.PRE_DISABLE, {}, (item) => item.withEnabled(false), context);
    this.events.emit(EventType.POST_DISABLE, featureName, {});
  }

  /** Removes the flag; a missing one is `FlagDoesNotExistError`. A stored flag that cannot be read (written by another program) is removed too. */
  async destroy(featureName: string, context?: WriteContext): Promise<void> {
    try {
      await this.mustGet(featureName);
    } catch (error) {
      if (!(error instanceof InvalidItemError)) throw error;
    }
    this.events.emit(EventType.PRE_DESTROY, featureName, {});
    await inContext(context, () => this.store.delete(featureName));
    this.events.emit(EventType.POST_DESTROY, featureName, {});
  }

  /** Every flag, in name order, `offset` skipped, at most `limit`. */
  async *list(options: ListOptions = {}): AsyncIterable<FeatureFlag> {
    validatePage(options.limit, options.offset);
    for (const item of await this.store.list(options)) yield this.get(item.featureName);
  }

  /** Merges `clientData` into the flag's client data (top-level keys replace). */
  async setClientData(featureName: string, clientData: ClientData, context?: WriteContext): Promise<void> {
    assertClientData(clientData);
    await this.change(
      featureName,
      EventType.PRE_SET_CLIENT_DATA,
      { clientData },
      (item) => item.withMeta(item.meta.with({ clientData: { ...item.meta.clientData, ...clientData } })),
      context,
    );
    this.events.emit(EventType.POST_SET_CLIENT_DATA, featureName, { clientData });
  }

  /**
   * A copy of the flag's client data: integers beyond ±(2^53 − 1) as exact `bigint`s, other numbers
   * (`NaN` and `±Infinity` included) as `number`s; every key, `__proto__` included, an own key.
   */
  async getClientData(featureName: string): Promise<ClientData> {
    const item = await this.mustGet(featureName);
    return structuredClone(item.meta.clientData) as ClientData;
  }

  /** `{ createdDate, clientData, conditions, bucketer }`; `toJSON()` gives Python's `get_meta()` dict. */
  async getMeta(featureName: string): Promise<FeatureFlagStoreMeta> {
    return (await this.mustGet(featureName)).meta;
  }

  async addCondition(featureName: string, condition: Condition, context?: WriteContext): Promise<void> {
    assertCondition(condition);
    await this.change(
      featureName,
      EventType.PRE_ADD_CONDITION,
      { condition },
      (item) => item.withMeta(item.meta.with({ conditions: [...item.meta.conditions, condition] })),
      context,
    );
    this.events.emit(EventType.POST_ADD_CONDITION, featureName, { condition });
  }

  async setConditions(featureName: string, conditions: readonly Condition[], context?: WriteContext): Promise<void> {
    if (!Array.isArray(conditions)) throw new InvalidArgumentError('conditions must be an array of Condition');
    conditions.forEach(assertCondition);
    await this.change(
      featureName,
      EventType.PRE_SET_CONDITIONS,
      { conditions },
      (item) => item.withMeta(item.meta.with({ conditions })),
      context,
    );
    this.events.emit(EventType.POST_SET_CONDITIONS, featureName, { conditions });
  }

  async setBucketer(featureName: string, bucketer: Bucketer, context?: WriteContext): Promise<void> {
    if (!bucketer || typeof bucketer.check !== 'function' || typeof bucketer.toJSON !== 'function') {
      throw new InvalidArgumentError('bucketer must be a Bucketer (NoOpBucketer, PercentageBucketer, ...)');
    }
    await this.change(
      featureName,
      EventType.PRE_SET_BUCKETER,
      { bucketer },
      (item) => item.withMeta(item.meta.with({ bucketer })),
      context,
    );
    this.events.emit(EventType.POST_SET_BUCKETER, featureName, { bucketer });
  }

  /**
   * Applies `change` to the flag as stored, conditionally (`store.update`: a concurrent writer's
   * change is never lost, the change is applied again on top of it). The pre-event is emitted once,
   * when the flag is first found to exist; a missing flag throws `FlagDoesNotExistError`.
   */
  private async change<A extends object>(
    featureName: string,
    pre: EventType,
    args: A,
    change: (item: FeatureFlagStoreItem) => FeatureFlagStoreItem,
    context: WriteContext | undefined,
  ): Promise<void> {
    let announced = false;
    await inContext(context, () =>
      updateFlag(
        this.store,
        featureName,
        (item) => {
          if (!announced) {
            announced = true;
            this.events.emit(pre, featureName, args);
          }
          return change(item);
        },
        this.conflictRetry,
      ),
    );
  }

  /**
   * The flag's recorded changes, newest first (`limit` default 50; `beforeVersion` for the next
   * page: the last entry's version). Kept by the flag server: other stores reject with
   * `HistoryUnavailableError`.
   */
  async history(featureName: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    validateFlagName(featureName);
    return this.historyStore().history(featureName, options);
  }

  /**
   * Restores the flag as it was after the change recorded at `version` (see `history`), as a new
   * recorded change by `actor` for `reason`. A write the caller has not seen (newer than the flag's
   * newest entry, or than `expectedRevision`) makes it `ConflictError`, never an overwrite. Resolves
   * with the flag's newest entry afterwards.
   */
  async rollback(featureName: string, version: number, options: RollbackOptions = {}): Promise<HistoryEntry> {
    validateFlagName(featureName);
    if (!Number.isSafeInteger(version) || version < 0)
      throw new InvalidArgumentError('version must be a non-negative integer');
    const checked = checkedContext(options);
    return this.historyStore().rollback(featureName, version, {
      ...checked,
      ...(options.expectedRevision !== undefined && { expectedRevision: options.expectedRevision }),
    });
  }

  private historyStore(): FeatureFlagStore & Required<Pick<FeatureFlagStore, 'history' | 'rollback'>> {
    const store = this.store;
    if (store.history === undefined || store.rollback === undefined) {
      throw new HistoryUnavailableError(
        `history is kept by the flag server; ${store.constructor.name} has none: use ThriftRPCFeatureFlagStore or a replica`,
      );
    }
    return store as FeatureFlagStore & Required<Pick<FeatureFlagStore, 'history' | 'rollback'>>;
  }

  private async mustGet(featureName: string): Promise<FeatureFlagStoreItem> {
    const item = await this.store.get(featureName);
    if (item === undefined) throw new FlagDoesNotExistError(featureName);
    return item;
  }

  private failed(featureName: string, error: unknown): void {
    if (error instanceof FlipperError && STORE_FAILURE_CODES.has(error.code)) {
      // The message names the flag and the call: the kind of an outage is the error's class.
      this.storeFailures.failed({ flag: featureName, error: error.message }, error.code);
      return;
    }
    let log = this.failing.get(featureName);
    if (log === undefined) {
      log = new StateChangeLog(this.logger, { flag: featureName }, FLAG_FAILURE_MESSAGES);
      this.failing.set(featureName, log);
    }
    // A new reason is logged again: the kind of the failure is its message.
    log.failed({ err: error }, String((error as Error)?.message ?? error));
  }

  private recovered(featureName: string): void {
    const log = this.failing.get(featureName);
    if (log === undefined) return;
    this.failing.delete(featureName);
    log.succeeded();
  }
}

/**
 * `isEnabled`'s answer when it needed no I/O: one promise per answer, shared, already resolved
 * (a promise settles once and cannot be changed), so an answer from memory allocates nothing.
 */
const SETTLED_TRUE = Promise.resolve(true);
const SETTLED_FALSE = Promise.resolve(false);

function settled(answer: boolean): Promise<boolean> {
  return answer ? SETTLED_TRUE : SETTLED_FALSE;
}

/** The store's failures (as opposed to one flag's): an outage, logged once for every flag. */
const STORE_FAILURE_CODES = new Set(['STORE_ERROR', 'TIMEOUT', 'CONNECTION_ERROR', 'OUTCOME_UNKNOWN']);

const STORE_FAILURE_MESSAGES = {
  failing: 'the store is failing: flags return their defaults',
  working: 'the store answers again',
  counted: 'failed evaluations',
};

const FLAG_FAILURE_MESSAGES = {
  failing: 'flag evaluation failed; returning the default',
  working: 'flag evaluation recovered',
  counted: 'failed evaluations',
};

function assertClientData(clientData: unknown): asserts clientData is ClientData {
  if (!isJsonObject(clientData)) throw new InvalidArgumentError('clientData must be a plain JSON object');
}

function assertCondition(condition: unknown): asserts condition is Condition {
  if (!(condition instanceof Condition)) throw new InvalidArgumentError('condition must be a Condition');
}

/** Runs a store write with the caller's `{ actor, reason }` (checked first), when there is one. */
function inContext<T>(context: WriteContext | undefined, write: () => Promise<T>): Promise<T> {
  const checked = checkedContext(context);
  return checked === undefined ? write() : withWriteContext(checked, write);
}

/** Only `actor` and `reason`, each one line of text: what the wire carries (other keys of create's options are not context). */
function checkedContext(context: WriteContext | undefined): WriteContext | undefined {
  if (context === undefined || context === null) return undefined;
  const actor = contextText(context.actor, 'actor');
  const reason = contextText(context.reason, 'reason');
  if (actor === undefined && reason === undefined) return undefined;
  return { ...(actor !== undefined && { actor }), ...(reason !== undefined && { reason }) };
}
