import type { Pool, PoolConfig } from 'pg';
import type { Redis, RedisOptions } from 'ioredis';
import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { SQLiteFeatureFlagStore } from '../../client/stores/sqlite-store';
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
    return closing(new RedisHistoryLog(redis, { ...common, baseKey: options.baseKey }), async () => {
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
    return closing(new PrivilegeFallback(log, fallback, options.logger), () => pool.end());
  }
  if (spec.startsWith('sqlite:') && store instanceof SQLiteFeatureFlagStore) {
    return new SQLiteHistoryLog(store, common);
  }
  return new MemoryHistoryLog(store, common);
}

/** The log, closing `extra` (its connections) after it. */
function closing(log: HistoryLog, extra: () => Promise<void>): HistoryLog {
  return {
    open: () => log.open(),
    recordWrite: (name, context) => log.recordWrite(name, context),
    reconcile: (names) => log.reconcile(names),
    entries: (name, query) => log.entries(name, query),
    close: async () => {
      await log.close();
      await extra().catch(() => undefined);
    },
  };
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
