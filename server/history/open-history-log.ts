import type { Pool, PoolConfig } from 'pg';
import type { Redis, RedisOptions } from 'ioredis';
import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { SQLiteFeatureFlagStore } from '../../client/stores/sqlite-store';
import { RedisFeatureFlagStore } from '../../client/stores/redis-store';
import type { FlipperLogger } from '../../shared/logger';
import type { HistoryQuery, HistoryRecord, HistoryRetention, RecordedContext } from '../../shared/model/history';
import type { HistoryLog } from './history-log';
import { MemoryHistoryLog } from './memory-history-log';
import { PostgresHistoryLog } from './postgres-history-log';
import { RedisHistoryLog } from './redis-history-log';
import { SQLiteHistoryLog } from './sqlite-history-log';

export interface OpenHistoryLogOptions {
  /** As `--base-key`: the Redis key prefix, or the SQLite/PostgreSQL table. */
  baseKey?: string;
  logger: FlipperLogger;
  retention: HistoryRetention;
  /** Now, in ms since the epoch (tests move it). Default `Date.now`. */
  clock?: () => number;
}

/**
 * The history log for a `--store` value, kept in the backend itself (so every server over one
 * Redis or PostgreSQL shows the same history), with its own backend connections; undefined when
 * history is off (`--history-limit 0`). Nothing connects until `open()`.
 */
export function openHistoryLog(
  spec: string,
  store: FeatureFlagStore,
  options: OpenHistoryLogOptions,
): HistoryLog | undefined {
  if (options.retention.maxEntriesPerFlag === 0) return undefined;
  const common = { logger: options.logger, retention: options.retention, clock: options.clock };
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const RedisClient = require('ioredis') as new (url: string, options: RedisOptions) => Redis;
    const redis = new RedisClient(spec, { connectTimeout: 2000, maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', () => {});
    const log = new RedisHistoryLog(redis, { ...common, baseKey: options.baseKey });
    if (store instanceof RedisFeatureFlagStore) log.recordWritesOf(store);
    return new ReopeningLog(log, async () => {
      redis.disconnect();
    });
  }
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as { Pool: new (config: PoolConfig) => Pool };
    const pool = new pg.Pool({ connectionString: spec, connectionTimeoutMillis: 5000, max: 2 });
    pool.on('error', () => {});
    const log = new PostgresHistoryLog(pool, { ...common, tableName: options.baseKey });
    const fallback = () => new MemoryHistoryLog(store, common);
    return new ReopeningLog(new PrivilegeFallback(log, fallback, options.logger), () => pool.end());
  }
  if (spec.startsWith('sqlite:') && store instanceof SQLiteFeatureFlagStore) {
    return new ReopeningLog(new SQLiteHistoryLog(store, common));
  }
  return new ReopeningLog(new MemoryHistoryLog(store, common));
}

/** How long after a failed `open` the next call tries it again. */
const REOPEN_INTERVAL_MS = 5000;

/**
 * The log, opened again before a call when its `open` failed (the backend was down at start: its
 * tables, trigger or script are made once it answers, without a restart), and closing `extra`
 * (its connections) after it.
 */
class ReopeningLog implements HistoryLog {
  private opened = false;
  private lastAttempt = -Infinity;

  constructor(
    private readonly log: HistoryLog,
    private readonly extra: () => Promise<void> = async () => {},
  ) {}

  async open(): Promise<void> {
    this.lastAttempt = Date.now();
    await this.log.open();
    this.opened = true;
  }

  async recordWrite(name: string, context: RecordedContext): Promise<void> {
    await this.reopened();
    return this.log.recordWrite(name, context);
  }

  async reconcile(names: readonly string[] | 'all'): Promise<void> {
    await this.reopened();
    return this.log.reconcile(names);
  }

  async entries(name: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    await this.reopened();
    return this.log.entries(name, query);
  }

  async close(): Promise<void> {
    await this.log.close();
    await this.extra().catch(() => undefined);
  }

  /** Tries `open` again, at most every few seconds; a failure leaves the call to fail (or not) on its own. */
  private async reopened(): Promise<void> {
    if (this.opened || Date.now() - this.lastAttempt < REOPEN_INTERVAL_MS) return;
    await this.open().catch(() => undefined);
  }
}

/**
 * PostgreSQL without the privilege to install the change trigger and its history table (a role
 * that may only read and write the flags table): said once, and this server keeps the history of
 * the changes it makes and sees in its own memory (not shared with other servers, lost at restart).
 */
class PrivilegeFallback implements HistoryLog {
  private active: HistoryLog;

  constructor(
    private readonly primary: HistoryLog,
    private readonly fallback: () => HistoryLog,
    private readonly logger: FlipperLogger,
  ) {
    this.active = primary;
  }

  async open(): Promise<void> {
    try {
      await this.primary.open();
    } catch (error) {
      if ((error as { code?: unknown })?.code !== '42501') throw error;
      this.logger.warn(
        { err: error },
        'history: no privilege to install the PostgreSQL change trigger; this server keeps the history of ' +
          'its own writes in memory (not shared with other servers, lost at restart)',
      );
      this.active = this.fallback();
      await this.active.open();
    }
  }

  recordWrite(name: string, context: RecordedContext): Promise<void> {
    return this.active.recordWrite(name, context);
  }

  reconcile(names: readonly string[] | 'all'): Promise<void> {
    return this.active.reconcile(names);
  }

  entries(name: string, query: HistoryQuery): Promise<HistoryRecord[]> {
    return this.active.entries(name, query);
  }

  close(): Promise<void> {
    return this.active.close();
  }
}
