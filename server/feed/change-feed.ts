import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { StateChangeLog } from '../../client/calls/state-change-log';
import { InvalidItemError, type FeatureFlagStoreItem } from '../../shared';
import type { FlipperLogger } from '../../shared/logger';
import type { ChangeLog, ChangesSince } from './change-log';
import { TimerWheel, type WheelEntry } from './timer-wheel';
import { withDeadline } from '../../client/calls/deadline';

/** Longest a write's reply waits for the feed to take the write in. */
const AFTER_WRITE_MS = 2000;

/** What the feed answers a long poll with. */
export interface FeedChanges {
  storeId: string;
  version: number;
  changed: FeatureFlagStoreItem[];
  deleted: string[];
  snapshotRequired: boolean;
}

/** Every flag at one version. */
export interface FeedSnapshot {
  storeId: string;
  version: number;
  items: FeatureFlagStoreItem[];
}

export interface ChangeFeedOptions {
  store: FeatureFlagStore;
  log: ChangeLog;
  logger: FlipperLogger;
  /** Longest a long poll waits, whatever it asks. Default 60000 ms. */
  maxWaitMs?: number;
  /** Long polls waiting at once; more are refused (the caller backs off). Default 100000. */
  maxWaiters?: number;
  /** Resolution of the shared timer, in ms. Default 100. */
  tickMs?: number;
}

interface Entry {
  version: number;
  /** null: deleted at `version`. */
  item: FeatureFlagStoreItem | null;
}

interface Waiter extends WheelEntry {
  position: { storeId: string; version: number };
  answer(changes: FeedChanges): void;
}

/** Refused long poll: too many waiting. */
export class TooManyWaitersError extends Error {}

/**
 * The server's side of the change feed: a copy of every flag with the version it last changed at,
 * kept current from the change log (the server's own writes, and the backend's change signal for
 * everyone else's), and the long polls waiting for it to move. Started by the first snapshot or
 * poll, so a server nobody replicates from pays nothing.
 *
 * Waiting polls cost an entry in a Set and one in the shared timer wheel; a change answers all of
 * them in one pass, computing each distinct reply once.
 */
export class ChangeFeed {
  private readonly mirror = new Map<string, Entry>();
  private storeId = '';
  private cursor = 0;
  private started: Promise<void> | undefined;
  private listening: Promise<void> | undefined;
  private closed = false;
  private readonly waiters = new Set<Waiter>();
  private readonly wheel: TimerWheel;
  private readonly maxWaitMs: number;
  private readonly maxWaiters: number;
  private readonly failures: StateChangeLog;
  private tail: Promise<void> = Promise.resolve();
  private queued: { names: Set<string> | 'all'; promise: Promise<void> } | undefined;

  constructor(private readonly options: ChangeFeedOptions) {
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.maxWaiters = options.maxWaiters ?? 100_000;
    this.wheel = new TimerWheel(options.tickMs ?? 100);
    this.failures = new StateChangeLog(
      options.logger,
      {},
      { failing: 'change feed: cannot follow the store', working: 'change feed: following the store again' },
    );
  }

  /** Long polls waiting now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** True once closed: every poll is then answered at once, so a caller that loops must stop. */
  get stopped(): boolean {
    return this.closed;
  }

  /** Every flag and the version they are current at. */
  async snapshot(): Promise<FeedSnapshot> {
    await this.start();
    const items: FeatureFlagStoreItem[] = [];
    for (const entry of this.mirror.values()) if (entry.item !== null) items.push(entry.item);
    return { storeId: this.storeId, version: this.cursor, items };
  }

  /**
   * Answers with the changes after `since` at once when there are any, else at the first change,
   * else (empty) after `timeoutMs`; `snapshotRequired` when `since` is of another store id or ahead
   * of the store. Aborting `signal` forgets a waiting poll unanswered (its HTTP client went away).
   */
  async waitForChanges(
    since: { storeId: string; version: number } | undefined,
    timeoutMs: number,
    answer: (changes: FeedChanges) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.start();
    if (since !== undefined && since.storeId === this.storeId && since.version > this.cursor) {
      // Another server over the same backend may be further along: catch up before judging.
      await this.catchUp();
    }
    if (since === undefined || since.storeId !== this.storeId || since.version > this.cursor || this.closed) {
      answer(this.changesAfter(since, new Map()));
      return;
    }
    if (since.version < this.cursor || timeoutMs <= 0) {
      answer(this.changesAfter(since, new Map()));
      return;
    }
    if (this.waiters.size >= this.maxWaiters) {
      throw new TooManyWaitersError(`${this.waiters.size} long polls are waiting already; retry later`);
    }
    if (signal?.aborted) return;
    const forget = () => {
      if (this.waiters.delete(waiter)) this.wheel.remove(waiter);
    };
    const waiter: Waiter = {
      tick: 0,
      position: since,
      answer: (changes) => {
        signal?.removeEventListener('abort', forget);
        answer(changes);
      },
      expire: () => {
        this.waiters.delete(waiter);
        waiter.answer(this.changesAfter(since, new Map()));
      },
    };
    this.waiters.add(waiter);
    this.wheel.add(waiter, Math.min(timeoutMs, this.maxWaitMs));
    signal?.addEventListener('abort', forget, { once: true });
  }

  /**
   * After this server wrote `name`: versions it and answers the polls, before the write's own reply
   * goes out (so a replica that wrote sees its change once the write is acknowledged). Never rejects.
   */
  async afterWrite(name: string): Promise<void> {
    if (this.started === undefined || this.closed) return;
    // Bounded: a backend that stopped answering delays the write's reply this long at most.
    await withDeadline(this.catchUp([name]), AFTER_WRITE_MS, 'catch-up').catch(() => undefined);
  }

  /** Answers every waiting poll (nothing changed) and stops; the change log is closed by its owner. */
  close(): void {
    this.closed = true;
    for (const waiter of this.wheel.clear() as Waiter[]) {
      this.waiters.delete(waiter);
      waiter.answer(this.changesAfter(waiter.position, new Map()));
    }
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      // The signal starts once; the first load below is what a failure makes the next call retry.
      this.listening ??= this.options.log
        .start((names) => void this.catchUp(names).catch(() => undefined))
        .catch((error: unknown) => {
          this.listening = undefined;
          throw error;
        });
      await this.listening;
      await this.options.log.record('all');
      await this.reload(await this.options.log.changesSince(0));
    })().catch((error: unknown) => {
      this.started = undefined; // the next call tries again
      throw error;
    });
    return this.started;
  }

  /**
   * Brings the copy up to the store: records what `names` (everything, without) may have changed,
   * then fetches the flags changed after our cursor. Calls made while one is queued share it.
   */
  private catchUp(names?: readonly string[]): Promise<void> {
    const queued = this.queued;
    if (queued !== undefined) {
      if (names === undefined) queued.names = 'all';
      else if (queued.names !== 'all') for (const name of names) queued.names.add(name);
      return queued.promise;
    }
    const next: { names: Set<string> | 'all'; promise: Promise<void> } = {
      names: names === undefined ? 'all' : new Set(names),
      promise: Promise.resolve(),
    };
    next.promise = this.tail.then(() => {
      if (this.queued === next) this.queued = undefined;
      return this.pull(next.names);
    });
    this.tail = next.promise.catch(() => undefined);
    this.queued = next;
    return next.promise;
  }

  private async pull(names: Set<string> | 'all'): Promise<void> {
    if (this.closed) return;
    try {
      await this.options.log.record(names === 'all' ? 'all' : [...names]);
      const since = await this.options.log.changesSince(this.cursor);
      if (since.storeId !== this.storeId) await this.reload(await this.options.log.changesSince(0));
      else await this.apply(since);
      this.failures.succeeded();
    } catch (error) {
      this.failures.failed({ err: error }, error instanceof Error ? error.constructor.name : 'error');
      throw error;
    }
    this.wake();
  }

  /** Reads the flags that changed; an unreadable one (bad stored JSON) counts as absent. */
  private async apply(since: ChangesSince): Promise<void> {
    const items = await Promise.all(since.changes.map(({ name }) => this.readFlag(name)));
    since.changes.forEach(({ name, version }, i) => {
      // Map order follows versions: the entry moves to the end.
      this.mirror.delete(name);
      this.mirror.set(name, { version, item: items[i] ?? null });
    });
    this.cursor = Math.max(this.cursor, since.head);
  }

  /** A new (or first) store id: the copy is rebuilt from a full read. */
  private async reload(all: ChangesSince): Promise<void> {
    const items = await this.options.store.list();
    const versions = new Map(all.changes.map(({ name, version }) => [name, version]));
    this.mirror.clear();
    for (const { name, version } of [...all.changes].sort((a, b) => a.version - b.version)) {
      this.mirror.set(name, { version, item: null });
    }
    for (const item of items) {
      const version = versions.get(item.featureName) ?? all.head;
      this.mirror.delete(item.featureName);
      this.mirror.set(item.featureName, { version, item });
    }
    this.storeId = all.storeId;
    this.cursor = all.head;
  }

  private async readFlag(name: string): Promise<FeatureFlagStoreItem | undefined> {
    try {
      return await this.options.store.get(name);
    } catch (error) {
      if (error instanceof InvalidItemError) return undefined;
      throw error;
    }
  }

  /** Answers every waiter behind the cursor now; one reply computed per distinct cursor. */
  private wake(): void {
    if (this.waiters.size === 0) return;
    const replies = new Map<string, FeedChanges>();
    for (const waiter of this.waiters) {
      if (waiter.position.storeId === this.storeId && waiter.position.version >= this.cursor) continue;
      this.waiters.delete(waiter);
      this.wheel.remove(waiter);
      waiter.answer(this.changesAfter(waiter.position, replies));
    }
  }

  private changesAfter(
    since: { storeId: string; version: number } | undefined,
    replies: Map<string, FeedChanges>,
  ): FeedChanges {
    const version = since?.version ?? 0;
    const snapshotRequired = since === undefined || since.storeId !== this.storeId || version > this.cursor;
    const key = snapshotRequired ? '!' : String(version);
    let reply = replies.get(key);
    if (reply !== undefined) return reply;
    reply = { storeId: this.storeId, version: this.cursor, changed: [], deleted: [], snapshotRequired };
    if (!snapshotRequired) {
      for (const [name, entry] of this.mirror) {
        if (entry.version <= version) continue;
        if (entry.item === null) reply.deleted.push(name);
        else reply.changed.push(entry.item);
      }
    }
    replies.set(key, reply);
    return reply;
  }
}
