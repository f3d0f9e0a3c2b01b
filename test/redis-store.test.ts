import { expect } from 'chai';
import Redis from 'ioredis';
import { ConnectionError, FeatureFlagClient, RedisFeatureFlagStore, TimeoutError } from '../client';
import { describeStoreConformance } from '../client/testing';
import { recordingLogger } from './helpers/broken-store';
import { failure, silentLogger } from './helpers/controlled-store';
import { deleteRedisKeysUnder, redisFaults, uniqueNames } from './helpers/store-capabilities';
import { TcpProxy } from './helpers/tcp-faults';

const uniqueBase = uniqueNames('flipper-test');

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

  describeStoreConformance('RedisFeatureFlagStore', {
    makeStore: ({ logger }) => (current = new RedisFeatureFlagStore(redis, { baseKey: uniqueBase(), logger })),
    cleanup: (store) => deleteRedisKeysUnder(redis, store.baseKey),
    writeRaw: async (store, name, json) => void (await redis.set(`${store.baseKey}/${name}`, json)),
    readRaw: async (store, name) => (await redis.get(`${store.baseKey}/${name}`)) ?? undefined,
    makeNeighbour: ({ logger }) =>
      new RedisFeatureFlagStore(redis, { baseKey: `${current.baseKey}-neighbour`, logger }),
    makeSecondStore: (store, { logger }) => new RedisFeatureFlagStore(second, { baseKey: store.baseKey, logger }),
    ...redisFaults((store) => store),
  });

  describe('keys', function () {
    const bases: string[] = [];
    afterEach(async function () {
      for (const base of bases.splice(0)) await deleteRedisKeysUnder(redis, base);
    });

    it('keeps a flag under features/<name> by default, where the Python library keeps it', async function () {
      const store = new RedisFeatureFlagStore(redis);
      const name = `${uniqueBase()}-layout`;
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
        const messages = logger.lines.map((l) => l.msg);
        expect(messages).to.have.length(2);
        expect(messages[0]).to.equal('Redis is unreachable');
        expect(messages[1]).to.match(/^Redis is reachable again after \d+ failed calls?$/);
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
