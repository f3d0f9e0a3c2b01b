import type { Client, ClientConfig, Pool, PoolConfig } from 'pg';
import type { Redis, RedisOptions } from 'ioredis';
import type { FeatureFlagStore } from '../../client/stores/feature-flag-store';
import { SQLiteFeatureFlagStore } from '../../client/stores/sqlite-store';
import type { FlipperLogger } from '../../shared/logger';
import type { HistoryRetention } from '../../shared/model/history';
import type { ChangeLog, ChangeSignal, ChangesSince } from './change-log';
import { DataVersionHint, LocalChangeLog, PeriodicHint } from './local-change-log';
import { PostgresChangeLog } from './postgres-change-log';
import { RedisChangeLog } from './redis-change-log';

export interface OpenChangeLogOptions {
  /** As `--base-key`: the Redis key prefix, or the SQLite/PostgreSQL table. */
  baseKey?: string;
  logger: FlipperLogger;
  /** Full resync interval where the backend gives no change signal, in ms (`--resync-interval`). Default 30000. */
  resyncIntervalMs?: number;
  /** The history kept per flag, where recording a version records its history entry too (Redis). */
  historyRetention?: HistoryRetention;
}

/**
 * The change log for a `--store` value, with its own backend connections (the store's are left
 * alone): Redis and PostgreSQL keep versions in the backend and follow its change signal; SQLite
 * and memory keep them in this server (SQLite also watches `PRAGMA data_version` for other
 * processes). Nothing connects until the first replica asks for a snapshot.
 */
export function openChangeLog(spec: string, store: FeatureFlagStore, options: OpenChangeLogOptions): ChangeLog {
  const resyncIntervalMs = options.resyncIntervalMs ?? 30_000;
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const RedisClient = require('ioredis') as new (url: string, options: RedisOptions) => Redis;
    const redis = new RedisClient(spec, { connectTimeout: 2000, maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', () => {});
    const log = new RedisChangeLog(redis, {
      baseKey: options.baseKey,
      logger: options.logger,
      resyncIntervalMs,
      retention: options.historyRetention,
    });
    return withClose(log, async () => {
      redis.disconnect();
    });
  }
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as {
      Pool: new (config: PoolConfig) => Pool;
      Client: new (config: ClientConfig) => Client;
    };
    const pool = new pg.Pool({ connectionString: spec, connectionTimeoutMillis: 5000, max: 2 });
    pool.on('error', () => {});
    const log = new PostgresChangeLog(pool, () => new pg.Client({ connectionString: spec }), {
      tableName: options.baseKey,
      logger: options.logger,
    });
    const fallback = () => new LocalChangeLog(store, [new PeriodicHint(resyncIntervalMs)]);
    return withClose(new PrivilegeFallback(log, fallback, options.logger), () => pool.end());
  }
  if (spec.startsWith('sqlite:') && store instanceof SQLiteFeatureFlagStore) {
    const db = store.db;
    return new LocalChangeLog(store, [new DataVersionHint(() => db.pragma('data_version', { simple: true }))]);
  }
  return new LocalChangeLog(store);
}

/** The log, closing `extra` (its connections) after it. */
function withClose(log: ChangeLog, extra: () => Promise<void>): ChangeLog {
  return {
    start: (onSignal) => log.start(onSignal),
    record: (names) => log.record(names),
    changesSince: (version) => log.changesSince(version),
    close: async () => {
      await log.close();
      await extra().catch(() => undefined);
    },
  };
}

/**
 * PostgreSQL without the privilege to install the trigger (a read-mostly role): said once, and the
 * server keeps versions itself, finding other writers' changes by a periodic full resync.
 */
class PrivilegeFallback implements ChangeLog {
  private active: ChangeLog;

  constructor(
    private readonly primary: ChangeLog,
    private readonly fallback: () => ChangeLog,
    private readonly logger: FlipperLogger,
  ) {
    this.active = primary;
  }

  async start(onSignal: ChangeSignal): Promise<void> {
    try {
      await this.primary.start(onSignal);
    } catch (error) {
      if ((error as { code?: unknown })?.code !== '42501') throw error;
      this.logger.warn(
        { err: error },
        'change feed: no privilege to install the PostgreSQL change trigger; versions are kept by this server ' +
          'and other writers are found by a periodic full resync',
      );
      this.active = this.fallback();
      await this.active.start(onSignal);
    }
  }

  record(names: readonly string[] | 'all'): Promise<void> {
    return this.active.record(names);
  }

  changesSince(version: number): Promise<ChangesSince> {
    return this.active.changesSince(version);
  }

  async close(): Promise<void> {
    await this.active.close();
    if (this.active !== this.primary) await this.primary.close();
  }
}
