import { expect } from 'chai';
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
import { ThriftRPCFeatureFlagStore, type ThriftRPCConnectionOptions } from '../client/stores/thrift-rpc-store';
import { describeStoreConformance, type ConformanceContext, type FaultyBackend } from '../client/testing';
import { serve, type Served } from './helpers/rpc-served';
import { HOLDS_PARSED_ITEMS, deleteRedisKeysUnder, uniqueNames, writeParsed } from './helpers/store-capabilities';

// The store contract, through the RPC store and the server, over each kind of backend.

const uniqueBase = uniqueNames('flipper-rpc-test');

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

const backendOf = (store: FeatureFlagStore) => served.get(store)!.backend;

/** Why the unparseable-flag case does not apply through the RPC store (get does read as `InvalidItemError`). */
const IDL_HAS_NO_INVALID_ITEM =
  "the server's own store skips a flag that does not parse from List and logs it in the server's log, so the client has nothing to log";

/** The capabilities every RPC store has whatever the server's backend: a second client, and connection faults. */
function rpcCapabilities(connection: ThriftRPCConnectionOptions = {}) {
  // A refused connection is logged once; a connection that answers nothing is not reported as an outage.
  const faulty = (timeout: number, logsOutageOnce: boolean): FaultyBackend<FeatureFlagStore> => ({
    makeStore: ({ host, port }, { logger }) =>
      new ThriftRPCFeatureFlagStore({ ...connection, host, port }, { timeout, logger }),
    withinMs: 2000,
    logsOutageOnce,
  });
  return {
    makeSecondStore: (store: FeatureFlagStore, { logger }: ConformanceContext) =>
      new ThriftRPCFeatureFlagStore({ ...connection, port: served.get(store)!.port }, { logger }),
    unreachableBackend: faulty(1000, true),
    hangingBackend: faulty(300, false),
  };
}

for (const [transport, protocol] of [
  ['buffered', 'binary'],
  ['framed', 'compact'],
] as const) {
  describeStoreConformance(`ThriftRPCFeatureFlagStore (${transport}/${protocol}) -> server -> memory`, {
    makeStore: async ({ logger }) =>
      track(await serve(new MemoryFeatureFlagStore(), { transport, protocol, client: { logger } })),
    writeRaw: (store, name, json) => writeParsed(backendOf(store), name, json),
    cleanup: stop,
    ...rpcCapabilities({ transport, protocol }),
    notApplicable: {
      ...HOLDS_PARSED_ITEMS,
      makeNeighbour: 'a server serves one memory store: the SQLite and Redis variants run a neighbour server',
    },
  });
}

describe('ThriftRPCFeatureFlagStore over SQLite and Redis', function () {
  let current: Served | undefined;
  const sqliteOf = (store: FeatureFlagStore) => backendOf(store) as SQLiteFeatureFlagStore;

  describeStoreConformance('ThriftRPCFeatureFlagStore -> server -> SQLite', {
    makeStore: async ({ logger }) => {
      const dir = mkdtempSync(join(tmpdir(), 'flipper-rpc-sqlite-'));
      current = await serve(new SQLiteFeatureFlagStore(join(dir, 'flags.db'), { logger }), { client: { logger } });
      return track(current, async () => rmSync(dir, { recursive: true, force: true }));
    },
    writeRaw: async (store, name, json) => {
      sqliteOf(store).db.prepare('INSERT OR REPLACE INTO feature_flags (name, item) VALUES (?, ?)').run(name, json);
    },
    readRaw: async (store, name) =>
      sqliteOf(store).db.prepare<[string], string>('SELECT item FROM feature_flags WHERE name = ?').pluck().get(name),
    // A second server over another table of the same file.
    makeNeighbour: async () => {
      const db = (current!.backend as SQLiteFeatureFlagStore).db;
      return track(
        await serve(new SQLiteFeatureFlagStore(db, { tableName: 'neighbour_flags' }), { closeBackend: false }),
      );
    },
    cleanup: stop,
    ...rpcCapabilities(),
    notApplicable: { invalidJson: IDL_HAS_NO_INVALID_ITEM },
  });

  describe('Redis', function () {
    let redis: Redis;
    before(function () {
      redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    });
    after(async function () {
      await redis.quit();
    });

    const baseOf = (store: FeatureFlagStore) => (backendOf(store) as RedisFeatureFlagStore).baseKey;

    describeStoreConformance('ThriftRPCFeatureFlagStore -> server -> Redis', {
      makeStore: async ({ logger }) => {
        current = await serve(new RedisFeatureFlagStore(redis, { baseKey: uniqueBase(), logger }), {
          client: { logger },
        });
        return track(current);
      },
      writeRaw: async (store, name, json) => void (await redis.set(`${baseOf(store)}/${name}`, json)),
      readRaw: async (store, name) => (await redis.get(`${baseOf(store)}/${name}`)) ?? undefined,
      makeNeighbour: async () =>
        track(await serve(new RedisFeatureFlagStore(redis, { baseKey: `${baseOf(current!.rpc)}-neighbour` }))),
      cleanup: async (store) => {
        await deleteRedisKeysUnder(redis, baseOf(store));
        await stop(store);
      },
      ...rpcCapabilities(),
      notApplicable: { invalidJson: IDL_HAS_NO_INVALID_ITEM },
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
  const generatedClientAt = (port: number, host = '127.0.0.1') => {
    const connection = thrift.createConnection(host, port, {
      transport: thrift.TBufferedTransport,
      protocol: thrift.TBinaryProtocol,
    });
    connection.on('error', () => {});
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const client = thrift.createClient(require('../gen-nodejs/FeatureFlagStore'), connection);
    return { connection, client };
  };
  const release = async (store: FeatureFlagStore) => {
    connections.get(store)?.end();
    connections.delete(store);
  };

  const generatedClientFault: FaultyBackend<ThriftRPCFeatureFlagStore> = {
    makeStore: ({ host, port }, { logger }) => {
      const { connection, client } = generatedClientAt(port, host);
      const store = new ThriftRPCFeatureFlagStore(client as never, { timeout: 300, logger });
      connections.set(store, connection);
      return store;
    },
    withinMs: 2000,
    release,
  };

  describeStoreConformance('ThriftRPCFeatureFlagStore(generated client) -> server -> memory', {
    makeStore: async ({ logger }) => {
      const s = await serve(new MemoryFeatureFlagStore());
      const { connection, client } = generatedClientAt(s.port);
      const store = new ThriftRPCFeatureFlagStore(client as never, { logger });
      served.set(store, s);
      connections.set(store, connection);
      return store;
    },
    writeRaw: (store, name, json) => writeParsed(backendOf(store), name, json),
    cleanup: async (store) => {
      await release(store);
      await stop(store);
    },
    makeSecondStore: (store, { logger }) =>
      new ThriftRPCFeatureFlagStore({ port: served.get(store)!.port }, { logger }),
    unreachableBackend: generatedClientFault,
    hangingBackend: generatedClientFault,
    notApplicable: {
      ...HOLDS_PARSED_ITEMS,
      makeNeighbour: 'a server serves one memory store: the SQLite and Redis variants run a neighbour server',
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

  it('keeps replies up to a bound in bytes: 200 replies of 620 KiB hold at most the bound', function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ReplyCache } = require('../client/rpc/reply-cache') as typeof import('../client/rpc/reply-cache');
    const bound = 16 * 1024 * 1024;
    const cache = new ReplyCache<number>(1024, bound);
    const reply = (n: number) => Buffer.alloc(620 * 1024, n);
    for (let n = 0; n < 200; n++) cache.remember(`flag-${n}`, reply(n), n);
    expect(cache.size)
      .to.be.at.most(bound)
      .and.above(bound / 2);
    expect(cache.lookup('flag-0', reply(0), 0, 620 * 1024), 'the oldest is gone').to.equal(undefined);
    expect(cache.lookup('flag-199', reply(199), 0, 620 * 1024), 'the newest is kept').to.equal(199);
    cache.remember('huge', Buffer.alloc(bound), -1);
    expect(cache.lookup('huge', Buffer.alloc(bound), 0, bound), 'larger than the bound: not kept').to.equal(undefined);
    expect(cache.size).to.be.at.most(bound);
  });
});
