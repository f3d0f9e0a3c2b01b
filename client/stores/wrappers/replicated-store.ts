import { InvalidArgumentError, type FeatureFlagStoreItem, type FeatureFlagStoreMeta } from '../../../shared';
import { defaultLogger, type FlipperLogger } from '../../logger';
import { validateTimeout, withDeadline } from '../../calls/deadline';
import type { CreateOptions, FeatureFlagStore, ItemChange, UpdateOptions } from '../feature-flag-store';
import { updateFlag } from '../update-flag';
import { StoreWrapper } from './store-wrapper';

/** `'async'`: writes return once the primary has them; `'sync'`: they also wait for the replicas. */
export type ReplicationMode = 'async' | 'sync';

/** The store methods that replicate. */
export type ReplicatedOperation = 'create' | 'set' | 'delete' | 'setMeta' | 'update';

export interface ReplicatedFeatureFlagStoreOptions {
  /** Where reads come from and every write goes first. */
  primary: FeatureFlagStore;
  /** Stores each write is repeated on, after the primary accepted it. Default none. */
  replicas?: readonly FeatureFlagStore[];
  /** Default `'async'`, as in Python. */
  replication?: ReplicationMode;
  /**
   * Milliseconds each replica write may take before it is reported as failed; in `'sync'` mode also
   * the longest a write waits for its replicas. Default 5000.
   */
  timeout?: number;
  /** Where replica failures are logged. Default: pino on stderr at warn. */
  logger?: FlipperLogger;
}

/** What a `'replicationError'` listener receives: which replica failed which write, and why. */
export interface ReplicationErrorEvent {
  /** Index of the replica in `replicas`. */
  replica: number;
  operation: ReplicatedOperation;
  featureName: string;
  error: Error;
}

export interface ReplicatedStoreEvents {
  replicationError: [ReplicationErrorEvent];
}

/**
 * Reads from a primary store and repeats every write on replicas (Python's
 * `ReplicatedFeatureFlagStore`), for example Redis as primary and S3 as a backup. A replica that
 * fails or hangs never fails a write, and delays one by at most `timeout` (`'sync'` mode) or not at
 * all (`'async'`); each replica failure is logged and emitted as `'replicationError'`. There is no
 * rollback: a replica that missed a write stays behind until the flag is written again, and a write
 * that timed out may still land on its replica later.
 */
export class ReplicatedFeatureFlagStore extends StoreWrapper<ReplicatedStoreEvents> {
  readonly primary: FeatureFlagStore;
  readonly replicas: readonly FeatureFlagStore[];
  readonly replication: ReplicationMode;
  private readonly timeout: number;
  private readonly logger: FlipperLogger;
  /** Async mode: each replica's writes run one after another, in the primary's order. */
  private readonly queues: Array<Promise<void>>;
  private readonly pending = new Set<Promise<void>>();
  private closing?: Promise<void>;

  constructor(options: ReplicatedFeatureFlagStoreOptions) {
    if (!options?.primary) throw new InvalidArgumentError('ReplicatedFeatureFlagStore needs a primary store');
    const replication = options.replication ?? 'async';
    if (replication !== 'async' && replication !== 'sync') {
      throw new InvalidArgumentError(`replication must be 'async' or 'sync', got ${String(replication)}`);
    }
    const replicas = [...(options.replicas ?? [])];
    // Reads (and close first) go to the primary, the base class's inner store.
    super(options.primary, replicas);
    this.primary = options.primary;
    this.replicas = replicas;
    this.replication = replication;
    this.timeout = validateTimeout(options.timeout ?? 5000, 'timeout');
    this.logger = options.logger ?? defaultLogger({ store: 'replicated' });
    this.queues = this.replicas.map(() => Promise.resolve());
  }

  // peek, get and list: the primary's (the base class).

  override async create(featureName: string, options?: CreateOptions): Promise<FeatureFlagStoreItem> {
    const item = await this.primary.create(featureName, options);
    await this.replicate('create', featureName, async (replica) => {
      const copy = await replica.create(featureName, options);
      // Created a second later than the primary's: make the copy exact.
      if (copy.meta.createdDate !== item.meta.createdDate) await replica.setMeta(featureName, item.meta);
    });
    return item;
  }

  override async set(featureName: string, isEnabled: boolean): Promise<void> {
    await this.primary.set(featureName, isEnabled);
    await this.replicate('set', featureName, (replica) => replica.set(featureName, isEnabled));
  }

  override async delete(featureName: string): Promise<void> {
    await this.primary.delete(featureName);
    await this.replicate('delete', featureName, (replica) => replica.delete(featureName));
  }

  override async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    await this.primary.setMeta(featureName, meta);
    await this.replicate('setMeta', featureName, (replica) => replica.setMeta(featureName, meta));
  }

  /**
   * Conditional on the primary (`update`); the replicas then get the primary's result as plain
   * writes (`set` and/or `setMeta` of what changed), in the same order as every other write.
   */
  override async update(
    featureName: string,
    change: ItemChange,
    options?: UpdateOptions,
  ): Promise<FeatureFlagStoreItem> {
    let before: FeatureFlagStoreItem | undefined;
    const item = await updateFlag(
      this.primary,
      featureName,
      (current, revision) => {
        before = current;
        return change(current, revision);
      },
      options,
    );
    if (item === before) return item;
    await this.replicate('update', featureName, async (replica) => {
      if (item.meta !== before?.meta) await replica.setMeta(featureName, item.meta);
      if (item.isEnabled !== before?.isEnabled || item.meta === before?.meta) {
        await replica.set(featureName, item.isEnabled);
      }
    });
    return item;
  }

  /** Resolves once every replica write started so far has finished, failed or timed out. Never rejects. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Waits for replica writes in flight, then closes the primary and the replicas. Safe to call twice. */
  override close(): Promise<void> {
    this.closing ??= this.flush().then(() => super.close());
    return this.closing;
  }

  protected override closeFailed(replica: number, reason: unknown): void {
    this.logger.error({ store: 'replicated', replica, err: reason }, 'closing a replica failed');
  }

  private replicate(
    operation: ReplicatedOperation,
    featureName: string,
    write: (replica: FeatureFlagStore) => Promise<unknown>,
  ): Promise<unknown> {
    const tasks = this.replicas.map((replica, index) => {
      const run = () =>
        withDeadline(
          Promise.resolve().then(() => write(replica)),
          this.timeout,
          `replica ${index} ${operation} of ${JSON.stringify(featureName)}`,
        ).then(
          () => undefined,
          (error: unknown) => this.report({ replica: index, operation, featureName, error: asError(error) }),
        );
      // Sync: the caller awaits each write, which orders them. Async: the queue keeps the order.
      const task = this.replication === 'sync' ? run() : this.queues[index].then(run);
      if (this.replication === 'async') this.queues[index] = task;
      this.pending.add(task);
      void task.then(() => this.pending.delete(task));
      return task;
    });
    return this.replication === 'sync' ? Promise.all(tasks) : Promise.resolve();
  }

  private report(event: ReplicationErrorEvent): void {
    const { replica, operation, featureName, error } = event;
    this.logger.error(
      { store: 'replicated', replica, operation, flag: featureName, err: error },
      'replica write failed',
    );
    try {
      this.emit('replicationError', event);
    } catch (listenerError) {
      this.logger.error({ store: 'replicated', err: listenerError }, "a 'replicationError' listener threw");
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
