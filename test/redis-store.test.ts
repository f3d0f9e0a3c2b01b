import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import {
  Condition,
  ConnectionError,
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  Percentage,
  RedisFeatureFlagStore,
  TimeoutError,
  type FeatureFlagStore,
} from '../client';
import { escapeGlob } from '../client/stores/redis-store';
import { recordingLogger } from './helpers/broken-store';
import { pythonItems } from './helpers/fixtures';
import { describeStoreConformance } from './helpers/store-conformance';
import { SilentServer, TcpProxy, unusedPort } from './helpers/tcp-faults';
import { failure, silentLogger } from './helpers/controlled-store';

const RUN = `flipper-test-${process.pid}-${randomBytes(4).toString('hex')}`;
let serial = 0;
const uniqueBase = () => `${RUN}-${serial++}`;

async function deleteUnder(redis: Redis, baseKey: string): Promise<void> {
  const stream = redis.scanStream({ match: `${escapeGlob(baseKey)}/*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.del(...keys);
}

describe('RedisFeatureFlagStore', function () {
  let redis: Redis;
  let current: RedisFeatureFlagStore;

  before(function () {
    redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
  });

  after(async function () {
    await redis.quit();
  });

  describeStoreConformance('RedisFeatureFlagStore', {
    makeStore: () => (current = new RedisFeatureFlagStore(redis, { baseKey: uniqueBase() })),
    writeRaw: async (store, name, json) => {
      await redis.set(`${(store as RedisFeatureFlagStore).baseKey}/${name}`, json);
    },
    makeNeighbour: () => new RedisFeatureFlagStore(redis, { baseKey: `${current.baseKey}-neighbour` }),
    cleanup: (store: FeatureFlagStore) => deleteUnder(redis, (store as RedisFeatureFlagStore).baseKey),
  });

  describe('the Python layout', function () {
    const bases: string[] = [];
    afterEach(async function () {
      for (const base of bases.splice(0)) await deleteUnder(redis, base);
    });

    it('keeps a flag under features/<name> by default, as JSON with the Python field names', async function () {
      const store = new RedisFeatureFlagStore(redis);
      const name = `${RUN}-layout`;
      const client = new FeatureFlagClient(store);
      try {
        await client.create(name, { isEnabled: true, clientData: { owner: 'growth' } });
        await client.addCondition(name, new Condition({ is_admin: true }));
        await client.setBucketer(
          name,
          new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
        );
        const stored = JSON.parse((await redis.get(`features/${name}`))!) as Record<string, unknown>;
        expect(stored).to.have.all.keys('feature_name', 'is_enabled', 'meta');
        expect(stored.feature_name).to.equal(name);
        expect(stored.is_enabled).to.equal(true);
        const meta = stored.meta as Record<string, unknown>;
        expect(meta).to.have.all.keys('client_data', 'created_date', 'conditions', 'bucketer');
        expect(meta.client_data).to.deep.equal({ owner: 'growth' });
        expect(meta.conditions).to.deep.equal([{ is_admin: [{ variable: 'is_admin', value: true, operator: null }] }]);
        expect(meta.bucketer).to.deep.equal({
          type: 'ConsistentHashPercentageBucketer',
          percentage: { type: 'Percentage', value: 0.5 },
          key_whitelist: ['user_id'],
        });
      } finally {
        await redis.del(`features/${name}`);
      }
    });

    it('reads and evaluates what Python SET, and writes it back as an equal structure', async function () {
      const base = uniqueBase();
      bases.push(base);
      const store = new RedisFeatureFlagStore(redis, { baseKey: base });
      const client = new FeatureFlagClient(store);
      for (const item of pythonItems()) {
        const python = JSON.parse(item.stored_json) as { feature_name: string };
        const name = python.feature_name;
        await redis.set(`${base}/${name}`, item.stored_json);
        for (const call of item.evaluations) {
          expect(await client.isEnabled(name, call.checks), name).to.equal(call.readme_result ?? call.python_result);
        }
        const read = (await store.get(name))!;
        await store.setMeta(name, read.meta);
        expect(JSON.parse((await redis.get(`${base}/${name}`))!), name).to.deep.equal(python);
      }
      expect((await store.list()).length).to.equal(pythonItems().length);
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
    it('isEnabled returns the default when Redis refuses connections, and get rejects with a typed error', async function () {
      const down = new Redis({ host: '127.0.0.1', port: await unusedPort(), lazyConnect: true });
      down.on('error', () => {});
      const logger = recordingLogger();
      const store = new RedisFeatureFlagStore(down, { commandTimeout: 300, logger });
      try {
        const client = new FeatureFlagClient(store, { logger: silentLogger });
        const started = Date.now();
        expect(await client.isEnabled('x', {}, { default: true })).to.equal(true);
        expect(await client.isEnabled('x')).to.equal(false);
        expect(Date.now() - started).to.be.below(5000);
        const error = await failure(store.get('x'));
        expect(error).to.satisfy((e: unknown) => e instanceof ConnectionError || e instanceof TimeoutError);
        expect(logger.lines.filter((l) => l.level === 'warn')).to.have.length(1);
      } finally {
        down.disconnect();
      }
    });

    it('isEnabled returns the default within the deadline when Redis accepts and never answers', async function () {
      const server = await new SilentServer().start();
      const hung = new Redis({ host: '127.0.0.1', port: server.port });
      hung.on('error', () => {});
      const store = new RedisFeatureFlagStore(hung, { commandTimeout: 200 });
      try {
        const client = new FeatureFlagClient(store, { logger: silentLogger });
        const started = Date.now();
        expect(await client.isEnabled('x', {}, { default: true })).to.equal(true);
        expect(Date.now() - started).to.be.below(3000);
        expect(await failure(store.list())).to.be.instanceOf(TimeoutError);
        expect(await failure(store.create('y'))).to.be.instanceOf(TimeoutError);
      } finally {
        hung.disconnect();
        await server.close();
      }
    });

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
        await deleteUnder(redis, store.baseKey);
        via.disconnect();
        await proxy.stop();
      }
    });

    it('rejects a commandTimeout that is not a positive number', function () {
      expect(() => new RedisFeatureFlagStore(redis, { commandTimeout: 0 })).to.throw(/commandTimeout/);
    });
  });
});
