import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { ConnectionError, FeatureFlagClient, RedisFeatureFlagStore, TimeoutError } from '../client';
import { describeStoreConformance, type RecordingLogger } from '../client/testing';
import { recordingLogger } from './helpers/broken-store';
import { failure, silentLogger } from './helpers/controlled-store';
import { Leftovers, deleteRedisKeysUnder } from './helpers/store-capabilities';
import { TcpProxy } from './helpers/tcp-faults';

const RUN = `flipper-test-${process.pid}-${randomBytes(4).toString('hex')}`;
let serial = 0;
const uniqueBase = () => `${RUN}-${serial++}`;

/** A client for a Redis at host:port that may refuse or never answer; errors are the store's to report. */
function redisAt(host: string, port: number): Redis {
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  return redis;
}

describe('RedisFeatureFlagStore', function () {
  let redis: Redis;
  /** Another connection, for the second store of the conformance suite. */
  let second: Redis;
  let current: RedisFeatureFlagStore;

  before(function () {
    redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    second = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
  });

  after(async function () {
    await redis.quit();
    await second.quit();
  });

  const leftovers = new Leftovers();
  const faulty = (host: string, port: number, logger: RecordingLogger) => {
    const client = redisAt(host, port);
    return leftovers.keep(new RedisFeatureFlagStore(client, { commandTimeout: 300, logger }), () =>
      client.disconnect(),
    );
  };

  describeStoreConformance('RedisFeatureFlagStore', {
    makeStore: ({ logger }) => (current = new RedisFeatureFlagStore(redis, { baseKey: uniqueBase(), logger })),
    cleanup: (store) => deleteRedisKeysUnder(redis, store.baseKey),
    writeRaw: async (store, name, json) => void (await redis.set(`${store.baseKey}/${name}`, json)),
    readRaw: async (store, name) => (await redis.get(`${store.baseKey}/${name}`)) ?? undefined,
    makeNeighbour: ({ logger }) =>
      new RedisFeatureFlagStore(redis, { baseKey: `${current.baseKey}-neighbour`, logger }),
    makeSecondStore: (store, { logger }) => new RedisFeatureFlagStore(second, { baseKey: store.baseKey, logger }),
    unreachableBackend: {
      makeStore: ({ host, port }, { logger }) => faulty(host, port, logger),
      withinMs: 2000,
      logsOutageOnce: true,
      release: leftovers.release,
    },
    hangingBackend: {
      makeStore: ({ host, port }, { logger }) => faulty(host, port, logger),
      withinMs: 2000,
      logsOutageOnce: true,
      release: leftovers.release,
    },
  });

  describe('keys', function () {
    const bases: string[] = [];
    afterEach(async function () {
      for (const base of bases.splice(0)) await deleteRedisKeysUnder(redis, base);
    });

    it('keeps a flag under features/<name> by default, where the Python library keeps it', async function () {
      const store = new RedisFeatureFlagStore(redis);
      const name = `${RUN}-layout`;
      try {
        await store.create(name, { isEnabled: true });
        const stored = JSON.parse((await redis.get(`features/${name}`))!) as Record<string, unknown>;
        expect(stored).to.include({ feature_name: name, is_enabled: true });
      } finally {
        await redis.del(`features/${name}`);
      }
    });

    it('lists only its own base key, even when the base key holds glob characters', async function () {
      const base = `${uniqueBase()}[a]*?\\`;
      bases.push(base, `${base}x`, base.replace('[a]', 'a'));
      const store = new RedisFeatureFlagStore(redis, { baseKey: base });
      await store.create('mine');
      await redis.set(`${base}x/other`, '{}');
      await redis.set(`${base.replace('[a]', 'a')}/other`, '{}');
      expect((await store.list()).map((i) => i.featureName)).to.deep.equal(['mine']);
    });

    it('lists many flags across SCAN and MGET batches, in name order', async function () {
      const base = uniqueBase();
      bases.push(base);
      const store = new RedisFeatureFlagStore(redis, { baseKey: base });
      const names = Array.from({ length: 2300 }, (_, i) => `f${String(i).padStart(4, '0')}`);
      const pipeline = redis.pipeline();
      for (const n of names) {
        pipeline.set(`${base}/${n}`, JSON.stringify({ feature_name: n, is_enabled: true, meta: {} }));
      }
      await pipeline.exec();
      const all = await store.list();
      expect(all.map((i) => i.featureName)).to.deep.equal(names);
      const page = await store.list({ offset: 1990, limit: 20 });
      expect(page.map((i) => i.featureName)).to.deep.equal(names.slice(1990, 2010));
    });
  });

  describe('faults', function () {
    it('fails fast while Redis is away and works again when it is back, with the same client', async function () {
      const proxy = await new TcpProxy(6379).start();
      const via = new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 50 });
      via.on('error', () => {});
      const logger = recordingLogger();
      const store = new RedisFeatureFlagStore(via, { baseKey: uniqueBase(), commandTimeout: 500, logger });
      const client = new FeatureFlagClient(store, { logger: silentLogger });
      try {
        await store.create('x', { isEnabled: true });
        expect(await client.isEnabled('x')).to.equal(true);
        await proxy.stop();
        let outage: unknown;
        for (let i = 0; i < 50 && outage === undefined; i++) outage = await failure(store.get('x'));
        expect(outage).to.satisfy((e: unknown) => e instanceof ConnectionError || e instanceof TimeoutError);
        expect(await client.isEnabled('x')).to.equal(false);
        await proxy.start();
        let back = false;
        for (let i = 0; i < 100 && !back; i++) {
          back = await client.isEnabled('x');
          if (!back) await new Promise((r) => setTimeout(r, 50));
        }
        expect(back).to.equal(true);
        expect(logger.lines.map((l) => l.msg)).to.deep.equal(['Redis is unreachable', 'Redis is reachable again']);
      } finally {
        await deleteRedisKeysUnder(redis, store.baseKey);
        via.disconnect();
        await proxy.stop();
      }
    });

    it('rejects a commandTimeout that is not a positive number', function () {
      expect(() => new RedisFeatureFlagStore(redis, { commandTimeout: 0 })).to.throw(/commandTimeout/);
    });
  });
});
