import { expect } from 'chai';
import Redis from 'ioredis';
import {
  CachedFeatureFlagStore,
  FeatureFlagClient,
  InvalidArgumentError,
  MemoryFeatureFlagStore,
  RedisFeatureFlagStore,
  StoreError,
  type FeatureFlagStore,
} from '../client';
import { describeStoreConformance, type RecordingLogger } from '../client/testing';
import { recordingLogger } from './helpers/broken-store';
import { ControlledStore, failure, gate, silentLogger } from './helpers/controlled-store';
import { PARSED_IN_PROCESS, deleteRedisKeysUnder, redisFaults, uniqueNames } from './helpers/store-capabilities';

const uniqueBase = uniqueNames('flipper-cache-test');

/** A clock the test moves by hand, in Unix seconds. */
function manualClock(start = 1_700_000_000) {
  let now = start;
  const clock = () => now;
  clock.advance = (seconds: number) => (now += seconds);
  return clock;
}

describe('CachedFeatureFlagStore', function () {
  describeStoreConformance('CachedFeatureFlagStore over memory', {
    makeStore: ({ logger }) => new CachedFeatureFlagStore(new MemoryFeatureFlagStore(), { logger }),
    ...PARSED_IN_PROCESS,
  });

  describe('over Redis', function () {
    let redis: Redis;
    const bases = new WeakMap<FeatureFlagStore, string>();
    const cached = (backend: RedisFeatureFlagStore, logger: RecordingLogger) => {
      const store = new CachedFeatureFlagStore(backend, { logger });
      bases.set(store, backend.baseKey);
      return store;
    };
    const overRedis = (baseKey: string, logger: RecordingLogger) =>
      cached(new RedisFeatureFlagStore(redis, { baseKey, logger }), logger);
    const baseOf = (store: FeatureFlagStore) => bases.get(store)!;
    let current = '';

    before(function () {
      redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    });

    after(async function () {
      await redis.quit();
    });

    describeStoreConformance('CachedFeatureFlagStore over RedisFeatureFlagStore', {
      makeStore: ({ logger }) => overRedis((current = uniqueBase()), logger),
      cleanup: (store) => deleteRedisKeysUnder(redis, baseOf(store)),
      writeRaw: async (store, name, json) => void (await redis.set(`${baseOf(store)}/${name}`, json)),
      readRaw: async (store, name) => (await redis.get(`${baseOf(store)}/${name}`)) ?? undefined,
      makeNeighbour: ({ logger }) => overRedis(`${current}-neighbour`, logger),
      ...redisFaults(cached, 'wrapper'),
      notApplicable: {
        makeSecondStore: 'caches what it read: another instance sees a write once its copy expires, not at once',
      },
    });
  });

  describe('behaviour', function () {
    it('serves a cached flag without reading the backend again, and isEnabled uses the no-promise peek', async function () {
      const backend = new ControlledStore();
      await backend.create('a', { isEnabled: true });
      const store = new CachedFeatureFlagStore(backend, { logger: silentLogger });
      const client = new FeatureFlagClient(store, { logger: silentLogger });
      expect(await client.isEnabled('a')).to.equal(true);
      expect(backend.calls.get).to.equal(1);
      for (let i = 0; i < 100; i++) expect(await client.isEnabled('a')).to.equal(true);
      expect(await store.get('a')).to.have.property('isEnabled', true);
      expect(store.peek('a')).to.have.property('isEnabled', true);
      expect(backend.calls.get).to.equal(1);
    });

    it('remembers an absent flag only for missTtl: a flag created by another process appears after it', async function () {
      const clock = manualClock();
      const backend = new ControlledStore();
      const store = new CachedFeatureFlagStore(backend, { missTtl: 5, clock, logger: silentLogger });
      expect(await store.get('late')).to.equal(undefined);
      expect(store.peek('late')).to.equal(null);
      await backend.create('late', { isEnabled: true }); // another process, straight into the backend
      clock.advance(4.9);
      expect(await store.get('late')).to.equal(undefined);
      expect(backend.calls.get).to.equal(1);
      clock.advance(0.2);
      expect(store.peek('late')).to.equal(undefined);
      expect((await store.get('late'))?.isEnabled).to.equal(true);
      expect(backend.calls.get).to.equal(2);
    });

    it('with missTtl 0 never remembers an absent flag', async function () {
      const backend = new ControlledStore();
      const store = new CachedFeatureFlagStore(backend, { missTtl: 0, logger: silentLogger });
      expect(await store.get('x')).to.equal(undefined);
      expect(store.peek('x')).to.equal(undefined);
      await backend.create('x');
      expect(await store.get('x')).to.not.equal(undefined);
    });

    it('keeps a flag forever without ttl, and reads it again after ttl when one is set', async function () {
      const clock = manualClock();
      const forever = new ControlledStore();
      await forever.create('a', { isEnabled: true });
      const noTtl = new CachedFeatureFlagStore(forever, { clock, logger: silentLogger });
      await noTtl.get('a');
      await forever.set('a', false);
      clock.advance(365 * 24 * 3600);
      expect((await noTtl.get('a'))?.isEnabled).to.equal(true);

      const backend = new ControlledStore();
      await backend.create('a', { isEnabled: true });
      const store = new CachedFeatureFlagStore(backend, { ttl: 30, clock, logger: silentLogger });
      await store.get('a');
      await backend.set('a', false); // another process
      clock.advance(29);
      expect((await store.get('a'))?.isEnabled).to.equal(true);
      clock.advance(2);
      expect((await store.get('a'))?.isEnabled).to.equal(false);
    });

    it('updates itself on its own writes, without reading the backend', async function () {
      const backend = new ControlledStore();
      const store = new CachedFeatureFlagStore(backend, { logger: silentLogger });
      const client = new FeatureFlagClient(store, { logger: silentLogger });
      await client.create('a', { clientData: { x: 1 } });
      expect(store.peek('a')?.isEnabled).to.equal(false);
      await client.enable('a');
      expect(store.peek('a')?.isEnabled).to.equal(true);
      await client.setClientData('a', { y: 2 });
      expect(store.peek('a')?.meta.clientData).to.deep.equal({ x: 1, y: 2 });
      await client.destroy('a');
      expect(store.peek('a')).to.equal(null);
      expect(await client.isEnabled('a')).to.equal(false);
      expect(backend.calls.get).to.equal(0);
    });

    it('leaves the cached item as it was when a write fails', async function () {
      const backend = new ControlledStore();
      const store = new CachedFeatureFlagStore(backend, { logger: silentLogger });
      await store.create('a', { isEnabled: true, clientData: { v: 1 } });
      backend.failWrites = true;
      expect(await failure(store.set('a', false))).to.be.instanceOf(StoreError);
      expect(await failure(store.setMeta('a', store.peek('a')!.meta))).to.be.instanceOf(StoreError);
      expect(await failure(store.delete('a'))).to.be.instanceOf(StoreError);
      expect(await failure(store.create('a'))).to.be.instanceOf(StoreError);
      const item = await store.get('a');
      expect(item?.isEnabled).to.equal(true);
      expect(item?.meta.clientData).to.deep.equal({ v: 1 });
    });

    it('serves a stale copy while the backend fails, logs once per state change, and recovers', async function () {
      const clock = manualClock();
      const backend = new ControlledStore();
      await backend.create('a', { isEnabled: true });
      const logger = recordingLogger();
      const store = new CachedFeatureFlagStore(backend, { ttl: 10, clock, logger });
      const client = new FeatureFlagClient(store, { logger: silentLogger });
      await store.get('a');
      expect(await store.get('gone')).to.equal(undefined);
      clock.advance(60); // every entry is past its TTL
      backend.failReads = true;
      for (let i = 0; i < 5; i++) expect((await store.get('a'))?.isEnabled).to.equal(true);
      expect(await client.isEnabled('a')).to.equal(true);
      expect(await store.get('gone')).to.equal(undefined);
      expect(await failure(store.get('never-read'))).to.be.instanceOf(StoreError);
      expect(logger.lines.filter((l) => l.level === 'warn')).to.have.length(1);
      expect(logger.lines[0].obj).to.include({ store: 'cached', servedStale: true });

      backend.failReads = false;
      await backend.set('a', false);
      expect((await store.get('a'))?.isEnabled).to.equal(false);
      await store.get('a');
      expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn', 'info']);
    });

    it('reads a missing flag from the backend once however many callers wait for it', async function () {
      const backend = new ControlledStore();
      await backend.create('a', { isEnabled: true });
      const paused = gate();
      backend.readGate = paused.promise;
      const store = new CachedFeatureFlagStore(backend, { logger: silentLogger });
      const reads = Array.from({ length: 20 }, () => store.get('a'));
      paused.open();
      for (const item of await Promise.all(reads)) expect(item?.isEnabled).to.equal(true);
      expect(backend.calls.get).to.equal(1);
    });

    it('does not cache what a read that overlapped a write returned', async function () {
      const backend = new ControlledStore();
      await backend.create('a', { isEnabled: false });
      const store = new CachedFeatureFlagStore(backend, { logger: silentLogger });
      const paused = gate();
      backend.readGate = paused.promise;
      const before = store.get('a'); // reads the old state, answers after the write
      backend.readGate = undefined;
      await store.set('a', true);
      paused.open();
      expect((await before)?.isEnabled).to.equal(false);
      expect((await store.get('a'))?.isEnabled).to.equal(true);
    });

    it('lists from the backend, so flags other processes made are listed', async function () {
      const backend = new ControlledStore();
      const store = new CachedFeatureFlagStore(backend, { logger: silentLogger });
      await store.create('a');
      await backend.create('b');
      expect((await store.list()).map((i) => i.featureName)).to.deep.equal(['a', 'b']);
      expect(backend.calls.list).to.equal(1);
    });

    it('evicts the least recently read flag beyond size', async function () {
      const backend = new ControlledStore();
      for (const name of ['a', 'b', 'c']) await backend.create(name);
      const store = new CachedFeatureFlagStore(backend, { size: 2, logger: silentLogger });
      await store.get('a');
      await store.get('b');
      await store.get('a');
      await store.get('c');
      expect(store.peek('b')).to.equal(undefined);
      expect(store.peek('a')).to.not.equal(undefined);
      expect(store.peek('c')).to.not.equal(undefined);
    });

    it('closes the wrapped store', async function () {
      let closed = 0;
      const backend = new MemoryFeatureFlagStore();
      backend.close = async () => void closed++;
      await new CachedFeatureFlagStore(backend, { logger: silentLogger }).close();
      expect(closed).to.equal(1);
    });

    it('rejects bad options with InvalidArgumentError naming the option', function () {
      const backend = new MemoryFeatureFlagStore();
      for (const [options, name] of [
        [{ size: 0 }, 'size'],
        [{ size: 1.5 }, 'size'],
        [{ ttl: 0 }, 'ttl'],
        [{ ttl: -1 }, 'ttl'],
        [{ missTtl: -1 }, 'missTtl'],
        [{ missTtl: Number.NaN }, 'missTtl'],
      ] as const) {
        expect(() => new CachedFeatureFlagStore(backend, { ...options, logger: silentLogger }), name)
          .to.throw(InvalidArgumentError)
          .with.property('message')
          .that.contains(name);
      }
    });
  });
});
