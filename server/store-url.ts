import type { Pool, PoolConfig } from 'pg';
import type { Redis, RedisOptions } from 'ioredis';
import type { FlipperLogger } from '../shared/logger';
import type { FeatureFlagStore } from '../client/stores/feature-flag-store';
import { MemoryFeatureFlagStore } from '../client/stores/memory-store';
import { PostgreSQLFeatureFlagStore } from '../client/stores/postgres-store';
import { RedisFeatureFlagStore } from '../client/stores/redis-store';
import { SQLiteFeatureFlagStore } from '../client/stores/sqlite-store';
import { InvalidArgumentError } from '../shared';
import { Backoff } from '../client/calls/backoff';

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
  /**
   * Deadline of each backend call (a Redis command, a PostgreSQL query or connection, a SQLite lock
   * wait), in ms. Default `DEFAULT_STORE_TIMEOUT_MS`.
   */
  storeTimeoutMs?: number;
  /** Largest flag a write may leave, in bytes of its stored JSON (every store enforces it). Default 512 KiB. */
  maxFlagBytes?: number;
  logger: FlipperLogger;
}

/**
 * The server's backend deadline: shorter than the RPC client's default (2000 ms), so a client
 * waiting on a stuck backend gets the server's typed error (INTERNAL, or OUTCOME_UNKNOWN for a
 * write) rather than its own timeout.
 */
export const DEFAULT_STORE_TIMEOUT_MS = 1000;

/** Reconnection delays of the server's backend connections: capped and jittered. */
const RECONNECT = { initialDelayMs: 100, maxDelayMs: 2000 };

const DRIVER_CLOSE_MS = 2000;

/**
 * Opens the store a `--store` value names: `memory`, `sqlite:<file>`, `redis://[:password@]host:port/db`
 * or `postgres://user@host:port/db`. Drivers are loaded only for the store asked for.
 */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<OpenedStore> {
  const description = maskPassword(spec);
  const logger = options.logger;
  const timeout = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  const maxFlagBytes = options.maxFlagBytes;
  if (spec === 'memory') {
    return opened(new MemoryFeatureFlagStore({ maxFlagBytes }), description);
  }
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new InvalidArgumentError('--store sqlite: needs a file, as in sqlite:./data/flags.db');
    return opened(
      new SQLiteFeatureFlagStore(path, { tableName: options.baseKey, logger, timeout, maxFlagBytes }),
      description,
    );
  }
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const RedisClient = require('ioredis') as new (url: string, options: RedisOptions) => Redis;
    const backoff = new Backoff(RECONNECT);
    const redis = new RedisClient(spec, {
      connectTimeout: timeout,
      // No byte for this long while commands wait: the connection is dead (frozen by the network,
      // say) and ioredis destroys it and reconnects, rather than waiting on it for ever.
      socketTimeout: timeout,
      maxRetriesPerRequest: 1,
      // Commands the store already gave up on (and answered as failed) are not sent again later.
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => backoff.failed(),
    });
    redis.on('ready', () => backoff.succeeded());
    redis.on('error', () => {}); // the store logs reachability changes; ioredis reconnects by itself
    const store = new RedisFeatureFlagStore(redis, {
      baseKey: options.baseKey,
      logger,
      commandTimeout: timeout,
      maxFlagBytes,
    });
    return opened(store, description, { close: () => redis.quit(), giveUp: () => redis.disconnect() });
  }
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as { Pool: new (config: PoolConfig) => Pool };
    const pool = new pg.Pool({ connectionString: spec, connectionTimeoutMillis: timeout, keepAlive: true });
    pool.on('error', () => {}); // an idle client's error: the next query reports it through the store
    const store = new PostgreSQLFeatureFlagStore(pool, {
      tableName: options.baseKey,
      logger,
      queryTimeout: timeout,
      reconnect: RECONNECT,
      maxFlagBytes,
    });
    return opened(store, description, { close: () => pool.end(), giveUp: () => undefined });
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

/** A driver client the server made for a store, and how to close it: politely, else by force. */
interface DriverClient {
  close(): Promise<unknown>;
  giveUp(): void;
}

/** The opened store; closing it closes the store, then its driver client (at most DRIVER_CLOSE_MS). */
function opened(store: FeatureFlagStore, description: string, driver?: DriverClient): OpenedStore {
  return {
    store,
    description,
    close: async () => {
      await store.close?.();
      if (driver) await bounded(driver);
    },
  };
}

/** Waits for the driver's close at most DRIVER_CLOSE_MS, then gives up on it. */
async function bounded(driver: DriverClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      driver.giveUp();
      resolve();
    }, DRIVER_CLOSE_MS);
  });
  try {
    await Promise.race([driver.close().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
