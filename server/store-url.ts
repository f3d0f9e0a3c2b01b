import type { Pool, PoolConfig } from 'pg';
import type { Redis, RedisOptions } from 'ioredis';
import type { FlipperLogger } from '../client/logger';
import type { FeatureFlagStore } from '../client/stores/feature-flag-store';
import { MemoryFeatureFlagStore } from '../client/stores/memory-store';
import { PostgreSQLFeatureFlagStore } from '../client/stores/postgres-store';
import { RedisFeatureFlagStore } from '../client/stores/redis-store';
import { SQLiteFeatureFlagStore } from '../client/stores/sqlite-store';
import { InvalidArgumentError } from '../shared';

/** A store the server opened from a `--store` value, with what it takes to close it. */
export interface OpenedStore {
  store: FeatureFlagStore;
  /** The `--store` value with any password masked, for logs. */
  description: string;
  /** Closes the store and the driver client the server made for it. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Redis key prefix (default `features`), or table name for SQLite and PostgreSQL (default `feature_flags`). */
  baseKey?: string;
  logger: FlipperLogger;
}

const DRIVER_CLOSE_MS = 2000;

/**
 * Opens the store a `--store` value names: `memory`, `sqlite:<file>`, `redis://[:password@]host:port/db`
 * or `postgres://user@host:port/db`. Drivers are loaded only for the store asked for.
 */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<OpenedStore> {
  const description = maskPassword(spec);
  const logger = options.logger;
  if (spec === 'memory') {
    const store = new MemoryFeatureFlagStore();
    return { store, description, close: () => store.close() };
  }
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new InvalidArgumentError('--store sqlite: needs a file, as in sqlite:./data/flags.db');
    const store = new SQLiteFeatureFlagStore(path, { tableName: options.baseKey, logger });
    return { store, description, close: () => store.close() };
  }
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const RedisClient = require('ioredis') as new (url: string, options: RedisOptions) => Redis;
    const redis = new RedisClient(spec, { connectTimeout: 2000, maxRetriesPerRequest: 1 });
    redis.on('error', () => {}); // the store logs reachability changes; ioredis reconnects by itself
    const store = new RedisFeatureFlagStore(redis, { baseKey: options.baseKey, logger });
    return {
      store,
      description,
      close: async () => {
        await store.close();
        await bounded(
          redis.quit().then(() => undefined),
          () => redis.disconnect(),
        );
      },
    };
  }
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as { Pool: new (config: PoolConfig) => Pool };
    const pool = new pg.Pool({ connectionString: spec, connectionTimeoutMillis: 5000 });
    pool.on('error', () => {}); // an idle client's error: the next query reports it through the store
    const store = new PostgreSQLFeatureFlagStore(pool, { tableName: options.baseKey, logger });
    return {
      store,
      description,
      close: async () => {
        await store.close();
        await bounded(pool.end(), () => undefined);
      },
    };
  }
  throw new InvalidArgumentError(
    `--store must be memory, sqlite:<file>, redis://host:port/db or postgres://..., got ${JSON.stringify(description)}`,
  );
}

/** The URL with its password replaced by `***`. */
function maskPassword(spec: string): string {
  try {
    const url = new URL(spec);
    if (url.password === '') return spec;
    url.password = '***';
    return url.toString();
  } catch {
    return spec;
  }
}

/** Waits for `work` at most DRIVER_CLOSE_MS, then gives up with `giveUp`. */
async function bounded(work: Promise<void>, giveUp: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      giveUp();
      resolve();
    }, DRIVER_CLOSE_MS);
  });
  try {
    await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
