import type { Redis } from 'ioredis';
import { InvalidArgumentError } from '../../shared';
import type { FlipperLogger } from '../../shared/logger';
import type { HistoryQuery, HistoryRecord, HistoryRetention, RecordedContext } from '../../shared/model/history';
import { RedisRecorder } from '../feed/redis-recorder';
import type { HistoryLog } from './history-log';
import { contextFromJson } from './recorded-context-json';
import type { RedisClient, RedisFeatureFlagStore } from '../../client/stores/redis-store';
import { currentWriteContext } from '../../client/calls/write-context';

export interface RedisHistoryLogOptions {
  /** The flags' key prefix (`<baseKey>/<name>`). Default `features`. */
  baseKey?: string;
  logger: FlipperLogger;
  retention: HistoryRetention;
  /** The time of entries and of the age cutoff, in ms since the epoch. Default: Redis `TIME` (one clock for every server). */
  clock?: () => number;
  /** Deadline of each command, in ms. Default 2000. */
  commandTimeoutMs?: number;
}

/** An entry as the recording script writes it (server/feed/redis-recorder.ts). */
interface StoredEntry {
  version: number;
  time: number;
  before?: string;
  after?: string;
  beforeUnknown?: true;
  /** The RecordedContext's JSON, as a string. */
  context?: string;
}

/** Entries read by each LRANGE while paging. */
const CHUNK = 100;

/**
 * The history of a Redis's flags: a list per flag, `<baseKey>:history:<name>`, newest first,
 * written by the script that assigns versions (`RedisRecorder`), so the history shares the change
 * feed's versions and every server over the Redis shows the same entries. A write through this
 * server is recorded with its context by `recordWrite`; changes found by the change log or by
 * `reconcile` are recorded as made outside any server.
 *
 * Two windows remain, both between a write and its `recordWrite` (a few ms): a direct write of
 * another value landing there is recorded as this server's write (and this server's value, then
 * gone, is not recorded); a write through this server that changed nothing, right after a direct
 * write of the same value recorded by another server, claims that entry.
 */
export class RedisHistoryLog implements HistoryLog {
  private readonly recorder: RedisRecorder;
  /** True once `recordWritesOf` records the store's writes as they are made. */
  private observing = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisHistoryLogOptions,
  ) {
    this.recorder = new RedisRecorder(redis, options);
  }

  /**
   * Caches the script, and the first time history is on for this base key, records every flag
   * stored (each existed before any entry: `beforeUnknown`), so a flag first seen later is known to
   * be new.
   */
  async open(): Promise<void> {
    await this.recorder.loadScript();
    const { baseline } = this.recorder.keys;
    if ((await this.recorder.command(this.redis.exists(baseline))) > 0) return;
    await this.recorder.record('all', { baseline: true });
    await this.recorder.command(this.redis.set(baseline, new Date().toISOString()));
  }

  /**
   * Records the store's writes as they are made: each write's recording is sent on the store's own
   * connection right behind the write (no round trip of its own), with the write's context and the
   * text it stored (so a write that lost to another writer does not claim theirs). `recordWrite`
   * then has nothing left to do for this store's writes.
   */
  recordWritesOf(store: RedisFeatureFlagStore): void {
    const onStoreConnection = new WeakMap<RedisClient, RedisRecorder>();
    store.observeWrites({
      written: (redis, name, stored) => {
        const context = currentWriteContext();
        if (context?.operation === undefined) return Promise.resolve();
        let recorder = onStoreConnection.get(redis);
        if (recorder === undefined) {
          recorder = new RedisRecorder(redis as unknown as Redis, this.options);
          onStoreConnection.set(redis, recorder);
        }
        return recorder.record([name], { context, written: stored });
      },
    });
    this.observing = true;
  }

  async recordWrite(name: string, context: RecordedContext): Promise<void> {
    if (this.observing) return;
    await this.recorder.record([name], { context });
  }

  async reconcile(names: readonly string[] | 'all'): Promise<void> {
    await this.recorder.record(names);
  }

  async entries(name: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    const { limit, beforeVersion } = query;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new InvalidArgumentError(`history: limit must be a whole number ≥ 0, got ${limit}`);
    }
    // Entries past the maximum age wait for the flag's next change to be trimmed: not shown meanwhile.
    const cutoff = (this.options.clock ?? Date.now)() - this.recorder.retention.maxAgeMs;
    const key = this.recorder.historyPrefix + name;
    const found: HistoryRecord[] = [];
    for (let start = 0; found.length < limit; start += CHUNK) {
      const chunk = await this.recorder.command(this.redis.lrange(key, start, start + CHUNK - 1));
      for (const [i, text] of chunk.entries()) {
        const entry = this.parse(name, text);
        if (entry === undefined) continue;
        if (start + i > 0 && entry.timeMs < cutoff) return found; // newest first: the rest are older
        if (beforeVersion !== undefined && entry.version >= beforeVersion) continue;
        found.push(entry);
        if (found.length === limit) return found;
      }
      if (chunk.length < CHUNK) break;
    }
    return found;
  }

  async close(): Promise<void> {
    // The connection is the caller's; nothing else is held.
  }

  /** The record of a stored entry; undefined (said in the log, the entry left as it is) when it does not read. */
  private parse(name: string, text: string): HistoryRecord | undefined {
    try {
      const stored = JSON.parse(text) as StoredEntry;
      if (!Number.isSafeInteger(stored.version) || typeof stored.time !== 'number')
        throw new Error('no version or time');
      const record: HistoryRecord = { featureName: name, version: stored.version, timeMs: stored.time };
      const context = contextFromJson(stored.context);
      if (context !== undefined) record.context = context;
      if (stored.before !== undefined) record.before = stored.before;
      if (stored.after !== undefined) record.after = stored.after;
      if (stored.beforeUnknown === true) record.beforeUnknown = true;
      return record;
    } catch (error) {
      this.options.logger.warn(
        { err: error, featureName: name },
        'history: an entry of the Redis history does not read; left out',
      );
      return undefined;
    }
  }
}
