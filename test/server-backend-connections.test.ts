import { expect } from 'chai';
import { Pool } from 'pg';
import { OutcomeUnknownError, StoreError, TimeoutError } from '../client';
import { ThriftRPCFeatureFlagStore } from '../client/stores/thrift-rpc-store';
import { FlagServer } from '../server/flag-server';
import { openStore, type OpenedStore } from '../server/store-url';
import { quietLogger } from './helpers/rpc-served';
import { uniqueNames } from './helpers/store-capabilities';
import { TcpProxy } from './helpers/tcp-faults';
import { dropFlagTableAndFeed } from './helpers/pg-feed-cleanup';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const uniqueKey = uniqueNames('flipper_conns', '_');

interface Backend {
  name: string;
  port: number;
  url(port: number): string;
  /** Removes what the test stored under `key`. */
  cleanUp(key: string): Promise<void>;
}

const BACKENDS: Backend[] = [
  {
    name: 'Redis',
    port: 6379,
    url: (port) => `redis://127.0.0.1:${port}/0`,
    cleanUp: async (key) => {
      const Redis = (await import('ioredis')).default;
      const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
      try {
        const keys = await redis.keys(`${key}/*`);
        if (keys.length > 0) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    },
  },
  {
    name: 'PostgreSQL',
    port: 5432,
    url: (port) => `postgres://postgres@127.0.0.1:${port}/test`,
    cleanUp: async (key) => {
      const pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
      try {
        await dropFlagTableAndFeed(pool, key);
      } finally {
        await pool.end();
      }
    },
  },
];

/** A flag server on `backend` through a proxy, as `flipper-server --store <url> --store-timeout <ms>` opens it. */
interface Rig {
  proxy: TcpProxy;
  opened: OpenedStore;
  server: FlagServer;
  port: number;
  rpc: ThriftRPCFeatureFlagStore;
  close(): Promise<void>;
}

async function rig(backend: Backend, key: string, storeTimeoutMs: number, clientTimeoutMs = 2000): Promise<Rig> {
  const proxy = await new TcpProxy(backend.port).start();
  const opened = await openStore(backend.url(proxy.port), { baseKey: key, storeTimeoutMs, logger: quietLogger });
  const server = new FlagServer({ store: opened.store, port: 0, logger: quietLogger });
  const { port } = await server.listen();
  const rpc = new ThriftRPCFeatureFlagStore({ port }, { timeout: clientTimeoutMs });
  return {
    proxy,
    opened,
    server,
    port,
    rpc,
    close: async () => {
      await rpc.close();
      await server.close();
      await opened.close();
      await proxy.stop();
      await backend.cleanUp(key);
    },
  };
}

/** Ms from now until a Get of `name` through the server answers that it is enabled (errors meanwhile are fine). */
async function msUntilAnswered(rpc: ThriftRPCFeatureFlagStore, name: string, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    const item = await rpc.get(name).catch(() => undefined);
    if (item?.isEnabled === true) return Date.now() - started;
    await sleep(50);
  }
  return Infinity;
}

for (const backend of BACKENDS) {
  describe(`flag server on ${backend.name}: backend connections that heal`, function () {
    this.timeout(40_000);

    it('a frozen connection (the proxy stops forwarding it; new ones work): answers again within 5 s', async function () {
      const key = uniqueKey();
      const r = await rig(backend, key, 500);
      try {
        await r.rpc.create('f', { isEnabled: true });
        expect((await r.rpc.get('f'))?.isEnabled).to.equal(true);
        r.proxy.freeze();
        const ms = await msUntilAnswered(r.rpc, 'f', 10_000);
        console.log(`      answered again ${ms} ms after the freeze (store timeout 500 ms)`);
        expect(ms).to.be.below(5000);
      } finally {
        await r.close();
      }
    });

    it('a stall (no byte either way for 3 s, then the held bytes arrive): answers correctly within 5 s after', async function () {
      const key = uniqueKey();
      const r = await rig(backend, key, 500);
      try {
        await r.rpc.create('f', { isEnabled: true });
        r.proxy.stall();
        const during = await r.rpc.get('f').catch((error: unknown) => error);
        expect(during, 'a Get during the stall').to.be.instanceOf(StoreError);
        await sleep(3000);
        r.proxy.resume();
        const ms = await msUntilAnswered(r.rpc, 'f', 10_000);
        console.log(`      answered again ${ms} ms after the backend did`);
        expect(ms).to.be.below(5000);
        await r.rpc.set('f', false);
        expect((await r.rpc.get('f'))?.isEnabled).to.equal(false);
      } finally {
        await r.close();
      }
    });

    it('an outage: connection attempts at a bounded rate under load; answers within 5 s once the backend is back', async function () {
      const key = uniqueKey();
      const r = await rig(backend, key, 500);
      // Twenty callers keep calling through the server for the whole outage.
      const callers = Array.from({ length: 20 }, () => new ThriftRPCFeatureFlagStore({ port: r.port }));
      try {
        await r.rpc.create('f', { isEnabled: true });
        r.proxy.down();
        const before = r.proxy.accepted;
        const seconds = 4;
        const until = Date.now() + seconds * 1000;
        let calls = 0;
        await Promise.all(
          callers.map(async (caller) => {
            while (Date.now() < until) {
              calls++;
              const error = await caller.get('f').then(
                () => undefined,
                (e: unknown) => e,
              );
              expect(error, 'the server answers with its typed error').to.be.instanceOf(StoreError);
              await sleep(5);
            }
          }),
        );
        const perSecond = (r.proxy.accepted - before) / seconds;
        console.log(`      ${calls} calls during the outage, ${perSecond.toFixed(1)} connection attempts a second`);
        expect(perSecond).to.be.at.most(5);
        r.proxy.up();
        const ms = await msUntilAnswered(r.rpc, 'f', 10_000);
        console.log(`      answered again ${ms} ms after the backend came back`);
        expect(ms).to.be.below(5000);
      } finally {
        await Promise.all(callers.map((caller) => caller.close()));
        await r.close();
      }
    });

    it('--store-timeout: with the backend stuck, clients get the server typed error (INTERNAL, OUTCOME_UNKNOWN) before their own deadline', async function () {
      const key = uniqueKey();
      const r = await rig(backend, key, 300, 2000);
      try {
        await r.rpc.create('f', { isEnabled: true });
        r.proxy.stall();
        let started = Date.now();
        const read = await r.rpc.get('f').catch((error: unknown) => error);
        const readMs = Date.now() - started;
        started = Date.now();
        const write = await r.rpc.set('f', false).catch((error: unknown) => error);
        const writeMs = Date.now() - started;
        console.log(`      read failed after ${readMs} ms, write after ${writeMs} ms (store timeout 300 ms)`);
        expect(read).to.be.instanceOf(StoreError).and.not.instanceOf(TimeoutError);
        expect((read as Error).message).to.match(/did not finish within 300 ms|not connected|unreachable/);
        expect(readMs).to.be.below(1500);
        // The write was sent, or the server could not tell: either way the server says so.
        expect(write).to.satisfy((e: unknown) => e instanceof OutcomeUnknownError || e instanceof StoreError);
        expect(write).to.not.be.instanceOf(TimeoutError);
        expect(writeMs).to.be.below(1500);
        r.proxy.resume();
      } finally {
        await r.close();
      }
    });
  });
}

describe('RedisFeatureFlagStore on an application client (no socketTimeout): forced reconnect', function () {
  this.timeout(20_000);

  it('a frozen connection is replaced after reconnectAfterTimeouts calls in a row time out', async function () {
    const Redis = (await import('ioredis')).default;
    const { RedisFeatureFlagStore } = await import('../client');
    const proxy = await new TcpProxy(6379).start();
    const redis = new Redis({ host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const key = uniqueKey();
    const store = new RedisFeatureFlagStore(redis, { baseKey: key, commandTimeout: 300, reconnectAfterTimeouts: 2 });
    try {
      await store.create('f', { isEnabled: true });
      proxy.freeze();
      const started = Date.now();
      const errors: unknown[] = [];
      let ms = Infinity;
      while (Date.now() - started < 8000) {
        const item = await store.get('f').catch((error: unknown) => void errors.push(error));
        if (item?.isEnabled === true) {
          ms = Date.now() - started;
          break;
        }
        await sleep(20);
      }
      console.log(`      answered again ${ms} ms after the freeze, after ${errors.length} failed calls`);
      expect(errors[0]).to.be.instanceOf(TimeoutError);
      expect(ms).to.be.below(3000);
    } finally {
      await store.close();
      redis.disconnect();
      await proxy.stop();
      await BACKENDS[0]!.cleanUp(key);
    }
  });
});
