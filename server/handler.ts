import type { FeatureFlagStore } from '../client/stores/feature-flag-store';
import { StateChangeLog } from '../client/calls/state-change-log';
import type { FlipperLogger } from '../shared/logger';
import { updateFlag } from '../client/stores/update-flag';
import {
  ConflictError,
  FeatureFlagStoreMeta,
  FlagDoesNotExistError,
  InvalidArgumentError,
  StoreError,
  validateFlagName,
  type FeatureFlagStoreItem,
} from '../shared';
import {
  clientDataFromThrift,
  errorToThrift,
  flagNameFromThrift,
  itemToThrift,
  metaFieldsFromThrift,
  pageFromThrift,
  thriftTypes,
  type ThriftException,
  type ThriftItem,
  type ThriftMeta,
} from '../shared/thrift/mapping';
import type { Result } from '../shared/thrift/processor';
import { FlagWriteQueue } from './flag-write-queue';
import { checkFlagSize } from '../shared/model/flag-size';
import { FeatureFlagStoreItem as Item } from '../shared/model/item';
import { DEFAULT_LIST_PAGE_SIZE, DEFAULT_MAX_FLAG_BYTES } from '../shared/limits';
import { offsetOfCursor, readPages, readRange } from './list-source';
import { SkippedItemsLog } from './skipped-items';

/** Limits the handler enforces. */
export interface HandlerLimits {
  /** Largest flag a write may leave, in bytes of its stored JSON. Default 512 KiB. */
  maxFlagBytes?: number;
  /** Flags in one `ListPage` reply at most. Default 1000. */
  listPageSize?: number;
}
import { ChangeFeed, TooManyWaitersError } from './feed/change-feed';
import { changesToThrift, positionFromThrift, snapshotToThrift } from '../shared/thrift/feed-mapping';
import type { Caller } from './security/caller';
import type { HistoryLog } from './history/history-log';
import { withWriteContext } from '../client/calls/write-context';
import type { RecordedContext } from '../shared/model/history';
import {
  historyPageToThrift,
  historyRecordToThrift,
  versionFromThrift,
  writeContextFromThrift,
} from '../shared/thrift/history-mapping';
import { rollBack } from './history/rollback';

/** Entries in one `History` reply: the default when the caller sets no limit, and the most. */
const HISTORY_PAGE_DEFAULT = 50;
const HISTORY_PAGE_MAX = 1000;

/** Longest flag name written to a log line; longer (bad) names are cut. */
const LOGGED_NAME_LENGTH = 300;

/**
 * Serves the `FeatureFlagStore` Thrift service over any store of the library, in the generated
 * processor's callback style. Every argument may be absent on the wire (absent `is_enabled` is
 * false, `client_data` `{}`, `limit` all, `offset` 0; absent `feature_name` or `meta` is refused).
 * Bad input is a FlipperException INVALID_ARGUMENT naming the problem, with nothing stored; a
 * missing flag on Get or SetMeta is NOT_FOUND; a store failure is INTERNAL, logged once with its
 * stack. A handler method never throws.
 */
export class FeatureFlagStoreHandler {
  /**
   * Store failures, logged with their stack once per spell (and again when the kind of error
   * changes), not once per call: a backend that is down fails every call.
   */
  private readonly storeFailures: StateChangeLog;
  private readonly writes = new FlagWriteQueue();
  /** Flags left out of `List` replies, logged once per change. */
  readonly skipped: SkippedItemsLog;
  private readonly maxFlagBytes: number;
  private readonly listPageSize: number;
  /** True when the store holds its items in memory (it has `peek`). */
  readonly itemsInMemory: boolean;
  /**
   * Who makes the calls, on the view of one connection made by `forCaller` (undefined on the shared
   * handler). `caller.actor` is the verified client certificate's identity: the actor to record.
   */
  readonly caller: Caller | undefined = undefined;

  constructor(
    private readonly store: FeatureFlagStore,
    private readonly logger: FlipperLogger,
    limits: HandlerLimits = {},
    /** The change feed (GetSnapshot, WaitForChanges); told of every write this server makes. */
    private readonly feed?: ChangeFeed,
    /** Where every change is recorded (History, Rollback); none: writes are not recorded. */
    private readonly history?: HistoryLog,
  ) {
    this.storeFailures = new StateChangeLog(logger, {}, STORE_FAILURE_MESSAGES);
    this.skipped = new SkippedItemsLog(logger);
    this.maxFlagBytes = limits.maxFlagBytes ?? DEFAULT_MAX_FLAG_BYTES;
    this.listPageSize = limits.listPageSize ?? DEFAULT_LIST_PAGE_SIZE;
    this.itemsInMemory = store.peek !== undefined;
  }

  /**
   * This handler as seen by one connection: the same store, write queue and logs (it is a view
   * whose prototype is this handler), with `caller` set. The handler must keep no per-call state in
   * its own fields, since a view writing one would shadow it.
   */
  forCaller(caller: Caller): FeatureFlagStoreHandler {
    return Object.create(this, { caller: { value: caller, enumerable: true } }) as FeatureFlagStoreHandler;
  }

  // The method names and arities are the generated processor's: it picks the callback style by arity.

  Create(feature_name: unknown, is_enabled: unknown, client_data: unknown, result: Result<ThriftItem>): void {
    this.run('Create', feature_name, result, async () => {
      const name = flagNameFromThrift(feature_name);
      const clientData = clientDataFromThrift(client_data);
      const item = await this.write('Create', name, () =>
        this.store.create(name, { isEnabled: is_enabled === true, clientData }),
      );
      return itemToThrift(item);
    });
  }

  Get(feature_name: unknown, result: Result<ThriftItem>): void {
    // A store holding the item in memory answers at once: no promise, and the reply goes out in
    // the same turn as the call. Anything else (a bad name, absent, unknown) takes the usual path.
    if (this.store.peek !== undefined && typeof feature_name === 'string') {
      const item = this.peek(feature_name);
      const wire = item && this.sendable(item);
      if (wire) {
        this.logger.debug({ method: 'Get', flag: feature_name.slice(0, LOGGED_NAME_LENGTH) }, 'call');
        this.answer('Get', result, null, wire);
        return;
      }
    }
    this.run('Get', feature_name, result, async () => {
      const name = flagNameFromThrift(feature_name);
      const item = await this.store.get(name);
      if (item === undefined) throw new FlagDoesNotExistError(name);
      return itemToThrift(item);
    });
  }

  /** A missing flag is created. */
  Set(feature_name: unknown, is_enabled: unknown, result: Result<void>): void {
    this.setIf('Set', feature_name, is_enabled, undefined, result);
  }

  /**
   * `Set` if the flag is still at `expected_revision`: CONFLICT when it moved on, NOT_FOUND when
   * it is gone. Without a revision, `Set`.
   */
  SetIf(feature_name: unknown, is_enabled: unknown, expected_revision: unknown, result: Result<void>): void {
    this.setIf('SetIf', feature_name, is_enabled, expected_revision, result);
  }

  private setIf(
    method: string,
    feature_name: unknown,
    is_enabled: unknown,
    expected_revision: unknown,
    result: Result<void>,
  ): void {
    this.run(method, feature_name, result, async () => {
      const name = flagNameFromThrift(feature_name);
      const enabled = is_enabled === true;
      const expected = revisionFromThrift(expected_revision);
      await this.write(method, name, async () => {
        if (expected === undefined) await this.store.set(name, enabled);
        else await this.update(name, expected, (item) => item.withEnabled(enabled));
      });
    });
  }

  Delete(feature_name: unknown, result: Result<void>): void {
    this.run('Delete', feature_name, result, async () => {
      const name = flagNameFromThrift(feature_name);
      await this.write('Delete', name, () => this.store.delete(name));
    });
  }

  /** `List`'s flags, all those asked for, a page of the store at a time (the reply is streamed; see `list-processor.ts`). */
  listItems(limit: unknown, offset: unknown): AsyncIterable<FeatureFlagStoreItem[]> {
    const page = pageFromThrift(limit, offset);
    return readPages(this.store, page.offset, page.limit);
  }

  /** Logs a `List` or `ListPage` answered. */
  listed(method: string, count: number): void {
    this.storeFailures.succeeded();
    this.logger.debug({ method, count }, 'call');
  }

  /**
   * `ListPage`'s flags: a page of at most the caller's limit and the server's page size, starting
   * at the cursor (or the offset when there is none), plus one more flag when another page follows.
   */
  async listPageItems(
    limit: unknown,
    offset: unknown,
    cursor: unknown,
  ): Promise<{ items: FeatureFlagStoreItem[]; offset: number; size: number }> {
    const page = pageFromThrift(limit, offset);
    if (page.limit === 0) throw new InvalidArgumentError('limit must be positive for ListPage');
    if (cursor !== null && cursor !== undefined && typeof cursor !== 'string') {
      throw new InvalidArgumentError('cursor must be a string');
    }
    const start = typeof cursor === 'string' && cursor !== '' ? offsetOfCursor(cursor) : page.offset;
    const size = Math.min(page.limit ?? this.listPageSize, this.listPageSize);
    const items = await readRange(this.store, start, size + 1);
    return { items, offset: start, size };
  }

  /** Logs a `List` or `ListPage` that failed (answered as a FlipperException by the caller). */
  listFailed(method: string, error: unknown): void {
    this.logFailure(method, undefined, errorToThrift(error), error);
  }

  /** Absent meta fields keep the flag's stored values (read and written atomically); a missing flag is NOT_FOUND. */
  SetMeta(feature_name: unknown, meta: unknown, result: Result<void>): void {
    this.setMetaIf('SetMeta', feature_name, meta, undefined, result);
  }

  /** `SetMeta` if the flag is still at `expected_revision`: CONFLICT when it moved on. Without a revision, `SetMeta`. */
  SetMetaIf(feature_name: unknown, meta: unknown, expected_revision: unknown, result: Result<void>): void {
    this.setMetaIf('SetMetaIf', feature_name, meta, expected_revision, result);
  }

  private setMetaIf(
    method: string,
    feature_name: unknown,
    meta: unknown,
    expected_revision: unknown,
    result: Result<void>,
  ): void {
    this.run(method, feature_name, result, async () => {
      const name = flagNameFromThrift(feature_name);
      if (meta === null || meta === undefined) throw new InvalidArgumentError('meta is required');
      const fields = metaFieldsFromThrift(meta as Partial<ThriftMeta>);
      const expected = revisionFromThrift(expected_revision);
      const full =
        fields.createdDate !== undefined &&
        fields.clientData !== undefined &&
        fields.conditions !== undefined &&
        fields.bucketer !== undefined
          ? new FeatureFlagStoreMeta({ createdDate: fields.createdDate, ...fields })
          : undefined;
      // Refused before any I/O when the new meta alone is over the limit (the state takes a few bytes).
      if (full !== undefined) checkFlagSize(new Item(name, false, full), this.maxFlagBytes);
      await this.write(method, name, async () => {
        if (full !== undefined && expected === undefined) await this.store.setMeta(name, full);
        else
          await this.update(name, expected, (item) => {
            const next = item.withMeta(full ?? item.meta.with(fields));
            checkFlagSize(next, this.maxFlagBytes);
            return next;
          });
      });
    });
  }

  /** Every flag and the version it is current at (the change feed's starting point). */
  GetSnapshot(result: Result<object>): void {
    this.run('GetSnapshot', undefined, result, async () => {
      const snapshot = await this.requireFeed().snapshot();
      return snapshotToThrift(snapshot, snapshot.items);
    });
  }

  /**
   * A long poll: the changes after `since` at once when there are any, else at the first change,
   * else empty at `timeout_ms`. Absent `timeout_ms` is 0 (answer now); an absent or foreign
   * `since` is answered with `snapshot_required`.
   */
  WaitForChanges(since: unknown, timeout_ms: unknown, result: Result<object>): void {
    this.run('WaitForChanges', undefined, result, async () => {
      const feed = this.requireFeed();
      const timeout = typeof timeout_ms === 'number' && Number.isFinite(timeout_ms) ? Math.max(0, timeout_ms) : 0;
      const changes = await new Promise<Parameters<Parameters<ChangeFeed['waitForChanges']>[2]>[0]>(
        (resolve, reject) => {
          feed.waitForChanges(positionFromThrift(since), timeout, resolve).catch(reject);
        },
      );
      return changesToThrift(changes, changes.changed, changes.deleted, changes.snapshotRequired);
    });
  }

  /**
   * Declares who makes this connection's later writes and why (until declared again; an empty
   * context clears it). Kept on the connection's caller, so it never reaches another connection.
   */
  SetWriteContext(context: unknown, result: Result<void>): void {
    this.run('SetWriteContext', undefined, result, async () => {
      const declared = writeContextFromThrift(context);
      if (this.caller === undefined) throw new InvalidArgumentError('SetWriteContext needs a connection');
      this.caller.declared = declared?.actor === undefined && declared?.reason === undefined ? undefined : declared;
    });
  }

  /**
   * A flag's recorded changes, newest first (`limit` absent: 50; at most 1000), older than
   * `before_version` when given. Changes another program made directly in the backend since the
   * last recording are recorded first, so they show.
   */
  History(feature_name: unknown, limit: unknown, before_version: unknown, result: Result<object>): void {
    this.run('History', feature_name, result, async () => {
      const name = flagNameFromThrift(feature_name);
      const history = this.requireHistory();
      const size = historyLimitFromThrift(limit);
      const beforeVersion = versionFromThrift(before_version, 'before_version');
      await history.reconcile([name]);
      const records = await history.entries(name, {
        limit: size,
        ...(beforeVersion !== undefined && { beforeVersion }),
      });
      return historyPageToThrift(records, size);
    });
  }

  /**
   * Restores the flag as it was after the change recorded at `to_version` (see `server/history/rollback.ts`),
   * as a new conditional, recorded change; answers the flag's newest entry afterwards.
   */
  Rollback(
    feature_name: unknown,
    to_version: unknown,
    context: unknown,
    expected_revision: unknown,
    result: Result<object>,
  ): void {
    this.run('Rollback', feature_name, result, async () => {
      const name = flagNameFromThrift(feature_name);
      const history = this.requireHistory();
      const version = versionFromThrift(to_version, 'to_version');
      if (version === undefined) throw new InvalidArgumentError('to_version is required');
      const expected = revisionFromThrift(expected_revision);
      const recorded = { ...this.recordedContext('Rollback', writeContextFromThrift(context)), rollbackTo: version };
      await this.writeRecorded(name, recorded, () =>
        rollBack({ store: this.store, history, name, version, expectedRevision: expected }),
      );
      const [newest] = await history.entries(name, { limit: 1 });
      return historyRecordToThrift(newest);
    });
  }

  /**
   * Every write of the server: queued per flag, made inside its recorded context (so a backend
   * whose trigger records changes finds who made it), recorded in the history before the next write
   * of the flag starts, and told to the change feed before the reply.
   */
  private write<T>(method: string, name: string, body: () => Promise<T>): Promise<T> {
    return this.writeRecorded(name, this.recordedContext(method), body);
  }

  private async writeRecorded<T>(name: string, recorded: RecordedContext, body: () => Promise<T>): Promise<T> {
    const value = await this.writes.run(name, async () => {
      const written = await withWriteContext(recorded, body);
      await this.history?.recordWrite(name, recorded);
      return written;
    });
    await this.feed?.afterWrite(name);
    return value;
  }

  /**
   * What is recorded beside a write: the call, the actor and reason declared (with the call, or by
   * the connection's `SetWriteContext`), the peer and its certificate identity.
   */
  private recordedContext(
    operation: string,
    declared = this.caller?.declared,
  ): RecordedContext & { operation: string } {
    return {
      operation,
      ...declared,
      ...(this.caller?.actor !== undefined && { identity: this.caller.actor }),
      ...(this.caller !== undefined && { peer: this.caller.remote }),
    };
  }

  private requireHistory(): HistoryLog {
    if (this.history === undefined) throw new StoreError('this server keeps no history (--history-limit 0)');
    return this.history;
  }

  private requireFeed(): ChangeFeed {
    if (this.feed === undefined) throw new StoreError('this server has no change feed');
    return this.feed;
  }

  /** A conditional change: refused with CONFLICT when `expected` is given and the flag moved past it. */
  private async update(
    name: string,
    expected: string | undefined,
    change: (item: FeatureFlagStoreItem) => FeatureFlagStoreItem,
  ): Promise<void> {
    await updateFlag(this.store, name, (item, revision) => {
      if (expected !== undefined && revision !== expected) {
        throw new ConflictError(`Feature flag ${JSON.stringify(name)} changed since revision ${expected} was read`);
      }
      return change(item);
    });
  }

  /** The item's reply struct, or undefined when it cannot be sent (the usual path then answers why). */
  private sendable(item: FeatureFlagStoreItem): ThriftItem | undefined {
    try {
      return itemToThrift(item);
    } catch {
      return undefined;
    }
  }

  /** The item when the store has it in memory under this (valid) name, else undefined. */
  private peek(featureName: string): FeatureFlagStoreItem | undefined {
    try {
      validateFlagName(featureName);
      return this.store.peek!(featureName) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private run<T>(method: string, featureName: unknown, result: Result<T>, body: () => Promise<T>): void {
    const flag = typeof featureName === 'string' ? featureName.slice(0, LOGGED_NAME_LENGTH) : undefined;
    let promise: Promise<T>;
    try {
      promise = body();
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => {
        this.logger.debug({ method, flag }, 'call');
        this.storeFailures.succeeded();
        this.answer(method, result, null, value);
      },
      (error: unknown) => {
        const exception = errorToThrift(error);
        this.logFailure(method, flag, exception, error);
        this.answer(method, result, exception);
      },
    );
  }

  private answer<T>(method: string, result: Result<T>, error: ThriftException | null, value?: T): void {
    try {
      result(error, value);
    } catch (err) {
      // Only a bug can get here (a reply that cannot be encoded); the process must stay up, and the
      // caller still gets an answer (the half-written reply is dropped by the next message begun).
      this.logger.error({ method, err }, 'could not write a reply');
      if (error === null) {
        try {
          result(errorToThrift(new StoreError(`${method}: the reply could not be encoded`)));
        } catch {
          // Nothing more can be sent on this call.
        }
      }
    }
  }

  private logFailure(method: string, flag: string | undefined, exception: ThriftException, error: unknown): void {
    const codes = thriftTypes().ErrorCode;
    if (exception.code === codes.NOT_FOUND) {
      this.logger.debug({ method, flag, error: exception.message }, 'call failed: not found');
    } else if (exception.code === codes.CONFLICT) {
      // The caller reads again and retries: an everyday outcome of concurrent writers.
      this.logger.debug({ method, flag, error: exception.message }, 'call failed: conflict');
    } else if (error instanceof TooManyWaitersError) {
      this.logger.debug({ method, error: exception.message }, 'call refused: too many long polls');
    } else if (exception.code === codes.INVALID_ARGUMENT) {
      this.logger.warn({ method, flag, error: exception.message }, 'call failed: invalid argument');
    } else {
      // The one line for a spell of store failures, with the stack; the kind of error starts a new one.
      this.storeFailures.failed({ method, flag, error: exception.message, err: error }, errorKind(error));
    }
  }
}

const STORE_FAILURE_MESSAGES = {
  failing: 'call failed: store error',
  working: 'store calls work again',
  failingLevel: 'error',
} as const;

/** `History`'s `limit`: absent is the default page; at most the largest page; below 1 is INVALID_ARGUMENT. */
function historyLimitFromThrift(value: unknown): number {
  if (value === null || value === undefined) return HISTORY_PAGE_DEFAULT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError('limit must be a positive integer');
  }
  return Math.min(value, HISTORY_PAGE_MAX);
}

/** The optional `expected_revision` argument: absent (or empty) is an unconditional write. */
function revisionFromThrift(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError('expected_revision must be a string');
  return value;
}

function errorKind(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}
