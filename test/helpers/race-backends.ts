import Consul from 'consul';
import Redis from 'ioredis';
import { Pool } from 'pg';
import {
  ConsulFeatureFlagStore,
  MemoryFeatureFlagStore,
  PostgreSQLFeatureFlagStore,
  RedisFeatureFlagStore,
  SQLiteFeatureFlagStore,
  type FeatureFlagStore,
} from '../../client';
import { ThriftRPCFeatureFlagStore } from '../../client/stores/thrift-rpc-store';
import { silentLogger } from './controlled-store';

/**
 * Where a concurrent-writer test's stores live, as plain data, so a child process can open a store
 * over the same backend as its parent (`openStore(JSON.parse(argv))`).
 */
export type BackendSpec =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string; /** The store's lock wait (ms); its default otherwise. */ timeout?: number }
  | { kind: 'redis'; baseKey: string }
  | { kind: 'postgres'; table: string }
  | { kind: 'consul'; port: number; baseKey: string }
  | { kind: 'rpc'; port: number };

/** A store over the backend, with its own connection, and how to release both. */
export interface OpenedStore {
  store: FeatureFlagStore;
  close(): Promise<void>;
}

/** Opens a store with its own connection to the backend (a second call: a second connection). */
export function openStore(spec: BackendSpec): OpenedStore {
  switch (spec.kind) {
    case 'memory': {
      const store = new MemoryFeatureFlagStore();
      return { store, close: () => store.close() };
    }
    case 'sqlite': {
      const store = new SQLiteFeatureFlagStore(spec.path, { timeout: spec.timeout });
      return { store, close: () => store.close() };
    }
    case 'redis': {
      const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
      const store = new RedisFeatureFlagStore(redis, { baseKey: spec.baseKey });
      return { store, close: async () => void (await redis.quit()) };
    }
    case 'postgres': {
      const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 4 });
      const store = new PostgreSQLFeatureFlagStore(pool, { tableName: spec.table });
      return { store, close: () => pool.end() };
    }
    case 'consul': {
      const consul = new Consul({ host: '127.0.0.1', port: spec.port });
      const store = new ConsulFeatureFlagStore(consul, { baseKey: spec.baseKey, wait: 5, logger: silentLogger });
      return {
        store,
        close: async () => {
          await store.close();
          consul.destroy();
        },
      };
    }
    case 'rpc': {
      const store = new ThriftRPCFeatureFlagStore({ port: spec.port });
      return { store, close: () => store.close() };
    }
  }
}
