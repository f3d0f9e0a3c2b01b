import { readFileSync } from 'node:fs';
import {
  compareUtf8,
  ConnectionError,
  FeatureFlagStoreItem,
  validatePage,
  type CodecOptions,
  type FeatureFlagStoreMeta,
  type HistoryEntry,
  type HistoryOptions,
  type RollbackOptions,
} from '../../shared';
import type { FlipperLogger } from '../../shared/logger';
import { itemRevision } from '../../shared/model/item-revision';
import { slicePage } from '../../shared/page';
import {
  feedReplyFromThrift,
  positionToThrift,
  type FeedPosition,
  type FeedReply,
} from '../../shared/thrift/feed-mapping';
import { validateWireOptions } from '../../shared/thrift/wire/wire-options';
import { Backoff } from '../calls/backoff';
import { validateTimeout } from '../calls/deadline';
import { StateChangeLog } from '../calls/state-change-log';
import { RpcConnection } from '../rpc/rpc-connection';
import type {
  CreateOptions,
  FeatureFlagStore,
  ItemChange,
  ListOptions,
  UpdateOptions,
} from '../stores/feature-flag-store';
import {
  THRIFT_RPC_DEFAULTS,
  ThriftRPCFeatureFlagStore,
  type ThriftRPCConnectionOptions,
  type ThriftRPCStoreOptions,
} from '../stores/thrift-rpc-store';
import { ReplicaEvents, type ReplicaStatus } from './replica-events';
import {
  bootstrapFlags,
  parseSnapshotText,
  snapshotText,
  writeFileAtomically,
  type BootstrapData,
  type LoadedFlags,
} from './snapshot-file';

export type { ReplicaStatus, ReplicaEventMap } from './replica-events';
export type { BootstrapData } from './snapshot-file';

export interface ReplicaReadyOptions {
  /** Longest wait for the server's snapshot, in ms; then the status as it stands. Default: the store's `readyTimeout`. */
  timeout?: number;
}

export interface ThriftReplicaStoreOptions extends ThriftRPCStoreOptions {
  /**
   * A file where every new version is written atomically (the last known good flags). At start it
   * is read, and served until the server answers: an app started while the server is down still
   * answers with the last flags it saw. A missing, corrupt or foreign file is logged and ignored.
   */
  snapshotFile?: string;
  /** Flags to serve until the server answers (when there is no snapshot file): data, or JSON text. */
  bootstrap?: BootstrapData;
  /** A JSON file of `bootstrap` data the app ships. */
  bootstrapFile?: string;
  /** `ready()`'s default wait, in ms. Default 5000. */
  readyTimeout?: number;
  /** After the server has been unreachable this long, the replica emits `stale`. Default 10000 ms. */
  staleAfter?: number;
  /** How long each long poll waits on the server, in ms. Default 30000. */
  pollTimeout?: number;
}

const DEFAULTS = { readyTimeout: 5000, staleAfter: 10_000, pollTimeout: 30_000 };

/**
 * A copy of every flag held in memory, kept current by the flag server's change feed: it loads a
 * snapshot (`GetSnapshot`), then long-polls for changes (`WaitForChanges`), so `isEnabled` costs
 * what it costs on `MemoryFeatureFlagStore` (`peek` answers every read) and every change, by any
 * writer of the server's backend, arrives within milliseconds. Writes go to the server (through an
 * ordinary `ThriftRPCFeatureFlagStore`) and are in the copy when they resolve.
 *
 * While the server is unreachable the copy keeps answering, the replica emits `stale` after
 * `staleAfter`, and reconnects with capped, jittered backoff; after a server restart (or a move to
 * another server over the same backend) it continues, or takes a new snapshot when told to. Its
 * connection and timers never keep the process alive; `close()` leaves nothing behind.
 */
export class ThriftReplicaFeatureFlagStore implements FeatureFlagStore {
  readonly events = new ReplicaEvents();
  /** Counters, for monitoring (and tests): snapshots taken, change batches applied, polls that failed. */
  readonly stats = { snapshots: 0, changeBatches: 0, failedPolls: 0 };
  private items = new Map<string, FeatureFlagStoreItem>();
  private position: FeedPosition | undefined;
  private state: ReplicaStatus = 'defaults';
  private everFresh = false;
  private closed = false;
  private readonly writer: ThriftRPCFeatureFlagStore;
  private readonly feed: RpcConnection;
  private readonly codec: CodecOptions;
  private readonly logger?: FlipperLogger;
  private readonly backoff: Backoff;
  private readonly timeout: number;
  private readonly readyTimeout: number;
  private readonly staleAfter: number;
  private readonly pollTimeout: number;
  private readonly snapshotFile?: string;
  private readonly readyWaiters = new Set<() => void>();
  private staleTimer: NodeJS.Timeout | undefined;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private unreachable: StateChangeLog;
  private fileFailures: StateChangeLog;
  private running: Promise<void>;
  private fileWrite: Promise<void> | undefined;
  private fileDirty = false;

  constructor(connection: ThriftRPCConnectionOptions = {}, options: ThriftReplicaStoreOptions = {}) {
    this.timeout = validateTimeout(options.timeout ?? THRIFT_RPC_DEFAULTS.timeout, 'timeout');
    this.readyTimeout = validateTimeout(options.readyTimeout ?? DEFAULTS.readyTimeout, 'readyTimeout');
    this.staleAfter = validateTimeout(options.staleAfter ?? DEFAULTS.staleAfter, 'staleAfter');
    this.pollTimeout = validateTimeout(options.pollTimeout ?? DEFAULTS.pollTimeout, 'pollTimeout');
    this.codec = { clock: options.clock, random: options.random };
    this.logger = options.logger;
    this.snapshotFile = options.snapshotFile;
    this.writer = new ThriftRPCFeatureFlagStore(connection, options);
    const { transport, protocol } = validateWireOptions(
      connection.transport ?? THRIFT_RPC_DEFAULTS.transport,
      connection.protocol ?? THRIFT_RPC_DEFAULTS.protocol,
    );
    const target = {
      host: connection.host ?? THRIFT_RPC_DEFAULTS.host,
      port: connection.port ?? THRIFT_RPC_DEFAULTS.port,
    };
    this.feed = new RpcConnection({
      ...target,
      transport,
      protocol,
      timeoutMs: this.timeout,
      maxMessageBytes: connection.maxMessageBytes ?? THRIFT_RPC_DEFAULTS.maxMessageBytes,
      // The loop below waits between attempts itself; the connection may try at once.
      reconnect: { initialDelayMs: 0, maxDelayMs: 0 },
      unref: true,
      logger: options.logger,
    });
    this.backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 5000, ...options.reconnect });
    const bindings = { target: `${target.host}:${target.port}` };
    this.unreachable = new StateChangeLog(options.logger, bindings, {
      failing: 'replica: cannot follow the flag server; answering from the flags held',
      working: 'replica: following the flag server again',
      counted: 'failed polls',
    });
    this.fileFailures = new StateChangeLog(
      options.logger,
      { file: options.snapshotFile },
      {
        failing: 'replica: cannot write the snapshot file',
        working: 'replica: writing the snapshot file again',
      },
    );
    this.loadLocal(options);
    this.running = this.run();
  }

  /** How the data stands now. */
  get status(): ReplicaStatus {
    return this.state;
  }

  /** Where the replica is in the server's version sequence; undefined before the first snapshot. */
  get version(): FeedPosition | undefined {
    return this.position;
  }

  /**
   * Resolves once the server's snapshot is in (`'fresh'`) or after `timeout` with the status as it
   * stands (`'stale'` from the snapshot file, `'bootstrap'`, or `'defaults'`). Never rejects or hangs.
   */
  ready(options: ReplicaReadyOptions = {}): Promise<ReplicaStatus> {
    const timeout = validateTimeout(options.timeout ?? this.readyTimeout, 'timeout');
    if (this.state === 'fresh' || this.closed) return Promise.resolve(this.state);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve(this.state);
      };
      // Not unref'd: the app is awaiting this, bounded by `timeout`; the process must not exit under it.
      const timer = setTimeout(done, timeout);
      this.readyWaiters.add(done);
    });
  }

  // ------------------------------------------------------------ reads: from memory

  peek(featureName: string): FeatureFlagStoreItem | null {
    return this.items.get(featureName) ?? null;
  }

  async get(featureName: string): Promise<FeatureFlagStoreItem | undefined> {
    return this.items.get(featureName);
  }

  async list(options: ListOptions = {}): Promise<FeatureFlagStoreItem[]> {
    validatePage(options.limit, options.offset);
    const names = [...this.items.keys()].sort(compareUtf8);
    return slicePage(names, options.limit, options.offset ?? 0).map((name) => this.items.get(name)!);
  }

  // ------------------------------------------------------------ writes: to the server

  async create(featureName: string, options?: CreateOptions): Promise<FeatureFlagStoreItem> {
    const item = await this.writer.create(featureName, options);
    await this.caughtUp(featureName);
    return this.items.get(featureName) ?? item;
  }

  async set(featureName: string, isEnabled: boolean): Promise<void> {
    await this.writer.set(featureName, isEnabled);
    await this.caughtUp(featureName);
  }

  async delete(featureName: string): Promise<void> {
    await this.writer.delete(featureName);
    await this.caughtUp(featureName);
  }

  async setMeta(featureName: string, meta: FeatureFlagStoreMeta): Promise<void> {
    await this.writer.setMeta(featureName, meta);
    await this.caughtUp(featureName);
  }

  async update(featureName: string, change: ItemChange, options?: UpdateOptions): Promise<FeatureFlagStoreItem> {
    const item = await this.writer.update(featureName, change, options);
    await this.caughtUp(featureName);
    return item;
  }

  /** The flag's history, from the server (see `ThriftRPCFeatureFlagStore.history`). */
  history(featureName: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    return this.writer.history(featureName, options);
  }

  /** A rollback through the server; resolves once this replica holds its result. */
  async rollback(featureName: string, version: number, options: RollbackOptions = {}): Promise<HistoryEntry> {
    const entry = await this.writer.rollback(featureName, version, options);
    await this.caughtUp(featureName);
    return entry;
  }

  /** Stops following, closes both connections, clears every timer, and waits for a snapshot file write in progress. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const done of [...this.readyWaiters]) done();
    clearTimeout(this.staleTimer);
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.wake();
    }
    await this.feed.close();
    await this.writer.close();
    await this.running;
    await this.fileWrite;
  }

  // ------------------------------------------------------------ following the server

  private async run(): Promise<void> {
    // The first await: nothing below is emitted inside the constructor.
    await Promise.resolve();
    while (!this.closed) {
      try {
        if (this.position === undefined) {
          const reply = await this.feed.call('GetSnapshot', [], undefined, this.timeout);
          this.applySnapshot(feedReplyFromThrift(reply, this.codec));
        } else {
          // The first contact (continuing from the snapshot file) must not wait: it makes the data fresh.
          const args = [positionToThrift(this.position), this.everFresh ? this.pollTimeout : 0];
          const reply = await this.feed.call('WaitForChanges', args, undefined, this.pollTimeout + this.timeout);
          this.applyChanges(feedReplyFromThrift(reply, this.codec));
        }
        this.reached();
      } catch (error) {
        if (this.closed) break;
        await this.failed(error);
      }
    }
  }

  /** After a write through the server: the server versioned it before answering, so one poll that does not wait brings it in. */
  private async caughtUp(featureName: string): Promise<void> {
    if (this.closed) return;
    try {
      if (this.position === undefined) {
        // Not following yet: take the flag itself.
        const item = await this.writer.get(featureName);
        const names = item === undefined ? this.remove([featureName]) : this.put([item]);
        if (names.length > 0) this.events.emit('changed', names);
        return;
      }
      const reply = await this.feed.call('WaitForChanges', [positionToThrift(this.position), 0]);
      this.applyChanges(feedReplyFromThrift(reply, this.codec));
    } catch {
      // The write itself succeeded; the feed brings the change when the server is reachable again.
    }
  }

  private applySnapshot(reply: FeedReply): void {
    if (reply.position === undefined) throw new ConnectionError('The flag server sent a snapshot without a version');
    this.logSkipped(reply.skipped);
    this.stats.snapshots++;
    const next = new Map(reply.changed.map((item) => [item.featureName, item]));
    const changed: string[] = [];
    for (const [name, item] of next) {
      const held = this.items.get(name);
      if (held === undefined || itemRevision(held) !== itemRevision(item)) changed.push(name);
    }
    for (const name of this.items.keys()) if (!next.has(name)) changed.push(name);
    const hadData = this.state !== 'defaults';
    this.items = next;
    this.position = reply.position;
    this.becameFresh();
    if (changed.length > 0 && hadData) this.events.emit('changed', changed);
    this.saveSnapshot();
  }

  private applyChanges(reply: FeedReply): void {
    if (reply.snapshotRequired || reply.position === undefined) {
      this.position = undefined; // the next turn takes a snapshot
      return;
    }
    const held = this.position;
    // A reply behind what is held (a poll answered before a newer one was applied) changes nothing.
    if (held === undefined || reply.position.storeId !== held.storeId || reply.position.version <= held.version) {
      // Nothing new since the snapshot file's version: the file is what the server holds.
      if (!this.everFresh && held !== undefined && reply.position.storeId === held.storeId) this.becameFresh();
      return;
    }
    this.logSkipped(reply.skipped);
    const names = [...this.put(reply.changed), ...this.remove(reply.deleted)];
    this.position = reply.position;
    this.stats.changeBatches++;
    this.becameFresh();
    if (names.length > 0) {
      this.events.emit('changed', names);
      this.saveSnapshot();
    }
  }

  /** Puts items whose revision differs from the one held; returns their names. */
  private put(items: readonly FeatureFlagStoreItem[]): string[] {
    const names: string[] = [];
    for (const item of items) {
      const held = this.items.get(item.featureName);
      if (held !== undefined && itemRevision(held) === itemRevision(item)) continue;
      this.items.set(item.featureName, item);
      names.push(item.featureName);
    }
    return names;
  }

  private remove(names: readonly string[]): string[] {
    return names.filter((name) => this.items.delete(name));
  }

  private becameFresh(): void {
    this.state = 'fresh';
    if (!this.everFresh) {
      this.everFresh = true;
      this.events.emit('ready', 'fresh');
    }
    for (const done of [...this.readyWaiters]) done();
  }

  private reached(): void {
    this.backoff.succeeded();
    clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    this.unreachable.succeeded();
  }

  private async failed(error: unknown): Promise<void> {
    const err = error instanceof Error ? error : new Error(String(error));
    this.stats.failedPolls++;
    this.unreachable.failed({ err }, err.constructor.name);
    this.events.emit('error', err);
    this.staleTimer ??= unrefTimer(() => {
      if (this.closed) return;
      if (this.state === 'fresh') this.state = 'stale';
      this.events.emit('stale', err);
    }, this.staleAfter);
    const delay = this.backoff.failed();
    await new Promise<void>((resolve) => {
      const timer = unrefTimer(() => {
        this.sleeping = undefined;
        resolve();
      }, delay);
      this.sleeping = { timer, wake: resolve };
    });
  }

  private logSkipped(names: readonly string[]): void {
    if (names.length > 0) this.logger?.warn({ flags: names.slice(0, 20) }, 'replica: skipped flags that do not parse');
  }

  // ------------------------------------------------------------ local data: snapshot file, bootstrap

  /** At construction: the snapshot file, else the bootstrap data; read synchronously so reads answer at once. */
  private loadLocal(options: ThriftReplicaStoreOptions): void {
    const fromFile = this.snapshotFile === undefined ? undefined : this.readSnapshotFile(this.snapshotFile);
    if (fromFile !== undefined) {
      this.items = new Map(fromFile.items.map((item) => [item.featureName, item]));
      this.state = 'stale';
      // Over Redis or PostgreSQL (one version sequence for every server), the feed continues from
      // the file's version: an app restart costs the changes since, not a full snapshot.
      this.position = fromFile.position;
      return;
    }
    let bootstrap: LoadedFlags | undefined;
    try {
      if (options.bootstrap !== undefined) bootstrap = bootstrapFlags(options.bootstrap, this.codec);
      else if (options.bootstrapFile !== undefined) {
        bootstrap = bootstrapFlags(readFileSync(options.bootstrapFile, 'utf8'), this.codec);
      }
    } catch (error) {
      this.localProblem('replica: ignoring the bootstrap data', error, { file: options.bootstrapFile });
    }
    if (bootstrap !== undefined) {
      this.items = new Map(bootstrap.items.map((item) => [item.featureName, item]));
      this.state = 'bootstrap';
    }
  }

  private readSnapshotFile(file: string): LoadedFlags | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.localProblem('replica: cannot read the snapshot file', error, { file });
      return undefined;
    }
    try {
      return parseSnapshotText(text, this.codec);
    } catch (error) {
      this.localProblem('replica: ignoring the snapshot file', error, { file });
      return undefined;
    }
  }

  /** Logged now; emitted as `error` once listeners can be attached. */
  private localProblem(message: string, error: unknown, bindings: object): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.logger?.warn({ ...bindings, err }, message);
    queueMicrotask(() => this.events.emit('error', err));
  }

  /** Writes the snapshot file after a new version; writes are coalesced, one at a time. */
  private saveSnapshot(): void {
    if (this.snapshotFile === undefined || this.position === undefined) return;
    if (this.fileWrite !== undefined) {
      this.fileDirty = true;
      return;
    }
    const file = this.snapshotFile;
    this.fileWrite = (async () => {
      do {
        this.fileDirty = false;
        try {
          await writeFileAtomically(file, snapshotText(this.position!, this.items.values()));
          this.fileFailures.succeeded();
        } catch (error) {
          this.fileFailures.failed({ err: error }, (error as NodeJS.ErrnoException).code ?? 'error');
          this.events.emit('error', error instanceof Error ? error : new Error(String(error)));
        }
      } while (this.fileDirty && !this.closed);
      this.fileWrite = undefined;
    })();
  }
}

function unrefTimer(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return timer;
}
