import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import {
  FeatureFlagClient,
  MemoryFeatureFlagStore,
  RedisFeatureFlagStore,
  SQLiteFeatureFlagStore,
  type FeatureFlagStore,
} from '../client';
import { escapeGlob } from '../client/stores/redis-store';
import { ThriftRPCFeatureFlagStore } from '../client/stores/thrift-rpc-store';
import { deserializeItem } from '../shared';
import { serve, type Served } from './helpers/rpc-served';
import { describeStoreConformance } from './helpers/store-conformance';

// The store contract, through the RPC store and the server, over each kind of backend.

const RUN = `flipper-rpc-test-${process.pid}-${randomBytes(4).toString('hex')}`;
let serial = 0;

/** What each RPC store under test is talking to, so cleanup can stop it. */
const served = new Map<FeatureFlagStore, Served>();
const extra = new Map<FeatureFlagStore, () => Promise<void>>();

async function track(s: Served, after?: () => Promise<void>): Promise<FeatureFlagStore> {
  served.set(s.rpc, s);
  if (after) extra.set(s.rpc, after);
  return s.rpc;
}

async function stop(store: FeatureFlagStore): Promise<void> {
  const s = served.get(store);
  served.delete(store);
  await s?.close();
  const after = extra.get(store);
  extra.delete(store);
  await after?.();
}

/** Writes Python's JSON into a memory backend through the codec (it holds parsed items). */
async function writeIntoMemory(backend: FeatureFlagStore, name: string, json: string): Promise<void> {
  const item = deserializeItem(json);
  await backend.create(name, { isEnabled: item.isEnabled, clientData: item.meta.clientData as never });
  await backend.setMeta(name, item.meta);
}

for (const [transport, protocol] of [
  ['buffered', 'binary'],
  ['framed', 'compact'],
] as const) {
  describeStoreConformance(`ThriftRPCFeatureFlagStore (${transport}/${protocol}) -> server -> memory`, {
    makeStore: async () => track(await serve(new MemoryFeatureFlagStore(), { transport, protocol })),
    writeRaw: (store, name, json) => writeIntoMemory(served.get(store)!.backend, name, json),
    cleanup: stop,
  });
}

describe('ThriftRPCFeatureFlagStore over SQLite and Redis', function () {
  let current: Served | undefined;

  describeStoreConformance('ThriftRPCFeatureFlagStore -> server -> SQLite', {
    makeStore: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flipper-rpc-sqlite-'));
      current = await serve(new SQLiteFeatureFlagStore(join(dir, 'flags.db')));
      return track(current, async () => rmSync(dir, { recursive: true, force: true }));
    },
    writeRaw: async (store, name, json) => {
      (served.get(store)!.backend as SQLiteFeatureFlagStore).db
        .prepare('INSERT OR REPLACE INTO feature_flags (name, item) VALUES (?, ?)')
        .run(name, json);
    },
    // A second server over another table of the same file.
    makeNeighbour: async () => {
      const db = (current!.backend as SQLiteFeatureFlagStore).db;
      return track(
        await serve(new SQLiteFeatureFlagStore(db, { tableName: 'neighbour_flags' }), { closeBackend: false }),
      );
    },
    cleanup: stop,
  });

  describe('Redis', function () {
    let redis: Redis;
    before(function () {
      redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    });
    after(async function () {
      await redis.quit();
    });

    const deleteUnder = async (baseKey: string) => {
      const stream = redis.scanStream({ match: `${escapeGlob(baseKey)}/*`, count: 1000 });
      for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.del(...keys);
    };
    const baseOf = (store: FeatureFlagStore) => (served.get(store)!.backend as RedisFeatureFlagStore).baseKey;

    describeStoreConformance('ThriftRPCFeatureFlagStore -> server -> Redis', {
      makeStore: async () => {
        current = await serve(new RedisFeatureFlagStore(redis, { baseKey: `${RUN}-${serial++}` }));
        return track(current);
      },
      writeRaw: async (store, name, json) => {
        await redis.set(`${baseOf(store)}/${name}`, json);
      },
      makeNeighbour: async () =>
        track(await serve(new RedisFeatureFlagStore(redis, { baseKey: `${baseOf(current!.rpc)}-neighbour` }))),
      cleanup: async (store) => {
        await deleteUnder(baseOf(store));
        await stop(store);
      },
    });
  });
});

describe('ThriftRPCFeatureFlagStore with a generated client the application made (as in Python)', function () {
  // npm thrift's own connection and client, as an application would make them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const thrift = require('thrift') as {
    createConnection(host: string, port: number, options: object): { on(e: string, f: () => void): void; end(): void };
    createClient(service: unknown, connection: unknown): unknown;
    TBufferedTransport: unknown;
    TBinaryProtocol: unknown;
  };
  const connections = new Map<FeatureFlagStore, { end(): void }>();

  describeStoreConformance('ThriftRPCFeatureFlagStore(generated client) -> server -> memory', {
    makeStore: async () => {
      const s = await serve(new MemoryFeatureFlagStore());
      const connection = thrift.createConnection('127.0.0.1', s.port, {
        transport: thrift.TBufferedTransport,
        protocol: thrift.TBinaryProtocol,
      });
      connection.on('error', () => {});
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const client = thrift.createClient(require('../gen-nodejs/FeatureFlagStore'), connection);
      const store = new ThriftRPCFeatureFlagStore(client as never);
      served.set(store, s);
      connections.set(store, connection);
      return store;
    },
    writeRaw: (store, name, json) => writeIntoMemory(served.get(store)!.backend, name, json),
    cleanup: async (store) => {
      connections.get(store)?.end();
      connections.delete(store);
      await stop(store);
    },
  });

  it('leaves the application its connection open on close', async function () {
    const s = await serve(new MemoryFeatureFlagStore());
    const connection = thrift.createConnection('127.0.0.1', s.port, {
      transport: thrift.TBufferedTransport,
      protocol: thrift.TBinaryProtocol,
    });
    connection.on('error', () => {});
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const client = thrift.createClient(require('../gen-nodejs/FeatureFlagStore'), connection) as {
        Get(name: string, cb: (e: unknown, v: { feature_name: string }) => void): void;
      };
      const store = new ThriftRPCFeatureFlagStore(client as never);
      await store.create('still-here');
      await store.close();
      const item = await new Promise<{ feature_name: string }>((resolve, reject) =>
        client.Get('still-here', (e, v) => (e ? reject(e) : resolve(v))),
      );
      expect(item.feature_name).to.equal('still-here');
    } finally {
      connection.end();
      await s.close();
    }
  });
});

describe('ThriftRPCFeatureFlagStore: pipelining', function () {
  it('matches 500 concurrent calls on one connection to their own replies', async function () {
    const s = await serve(new MemoryFeatureFlagStore());
    try {
      const client = new FeatureFlagClient(s.rpc);
      await Promise.all(Array.from({ length: 50 }, (_, i) => client.create(`f${i}`, { clientData: { i } })));
      const reads = await Promise.all(Array.from({ length: 500 }, (_, k) => s.rpc.get(`f${k % 50}`)));
      reads.forEach((item, k) => expect(item?.meta.clientData).to.deep.equal({ i: k % 50 }));
      expect(s.server.connectionCount).to.equal(1);
    } finally {
      await s.close();
    }
  });
});

describe('ThriftRPCFeatureFlagStore: loading', function () {
  it('importing the main entry does not load npm thrift or the generated code', function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const script = "require('./dist/client'); console.log(JSON.stringify(Object.keys(require.cache)))";
    const files = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' }),
    ) as string[];
    expect(files.filter((f) => f.includes('/node_modules/thrift/') || f.includes('/gen-nodejs/'))).to.deep.equal([]);
  });
});

describe('ThriftRPCFeatureFlagStore: decoding replies', function () {
  it('reuses the decoded item for a byte-identical Get reply, and decodes afresh once the flag changes', async function () {
    const s = await serve(new MemoryFeatureFlagStore());
    try {
      await s.rpc.create('f', { clientData: { v: 1 } });
      const first = await s.rpc.get('f');
      expect(await s.rpc.get('f')).to.equal(first);
      await s.rpc.set('f', true);
      const changed = await s.rpc.get('f');
      expect(changed).to.not.equal(first);
      expect(changed?.isEnabled).to.equal(true);
      expect(first?.isEnabled, 'an item handed out earlier never changes').to.equal(false);
    } finally {
      await s.close();
    }
  });

  it('keeps a bounded number of replies, dropping the oldest', function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ReplyCache } = require('../client/rpc/reply-cache') as typeof import('../client/rpc/reply-cache');
    const cache = new ReplyCache<number>(2);
    const bytes = (n: number) => Buffer.from([n]);
    cache.remember('a', bytes(1), 1);
    cache.remember('b', bytes(2), 2);
    cache.remember('c', bytes(3), 3);
    expect(cache.lookup('a', bytes(1), 0, 1)).to.equal(undefined);
    expect(cache.lookup('b', bytes(2), 0, 1)).to.equal(2);
    expect(cache.lookup('c', bytes(9), 0, 1), 'other bytes').to.equal(undefined);
  });
});
