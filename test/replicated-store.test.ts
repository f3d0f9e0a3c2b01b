import { expect } from 'chai';
import Redis from 'ioredis';
import {
  InvalidArgumentError,
  MemoryFeatureFlagStore,
  RedisFeatureFlagStore,
  ReplicatedFeatureFlagStore,
  StoreError,
  TimeoutError,
  type FeatureFlagStore,
  type ReplicationErrorEvent,
} from '../client';
import { describeStoreConformance, type RecordingLogger } from '../client/testing';
import { InvalidItemError } from '../shared';
import { recordingLogger } from './helpers/broken-store';
import { checkEachTestForLeaks } from './helpers/leak-guard';
import { ControlledStore, failure, gate, silentLogger } from './helpers/controlled-store';
import {
  PARSED_IN_PROCESS,
  deleteRedisKeysUnder,
  redisFaults,
  uniqueNames,
  writeParsed,
} from './helpers/store-capabilities';

const uniqueBase = uniqueNames('flipper-replica-test');

/** After each conformance case: once flushed, every replica holds exactly what the primary holds. */
async function expectReplicasMatch(replicated: ReplicatedFeatureFlagStore): Promise<void> {
  await replicated.flush();
  const primary = (await replicated.primary.list()).map((i) => i.toJSON());
  for (const [i, replica] of replicated.replicas.entries()) {
    expect(
      (await replica.list()).map((item) => item.toJSON()),
      `replica ${i}`,
    ).to.deep.equal(primary);
  }
}

describe('ReplicatedFeatureFlagStore', function () {
  for (const replication of ['async', 'sync'] as const) {
    describeStoreConformance(`ReplicatedFeatureFlagStore (${replication}) over memory`, {
      makeStore: ({ logger }) =>
        new ReplicatedFeatureFlagStore({
          primary: new MemoryFeatureFlagStore(),
          replicas: [new MemoryFeatureFlagStore(), new MemoryFeatureFlagStore()],
          replication,
          logger,
        }),
      writeRaw: async (store, name, json) => {
        for (const s of [store.primary, ...store.replicas]) await writeParsed(s, name, json);
      },
      cleanup: expectReplicasMatch,
      notApplicable: PARSED_IN_PROCESS.notApplicable,
    });
  }

  describe('over Redis', function () {
    let redis: Redis;
    let current = '';

    before(function () {
      redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    });

    after(async function () {
      await redis.quit();
    });

    const make = (base: string, logger: RecordingLogger) =>
      new ReplicatedFeatureFlagStore({
        primary: new RedisFeatureFlagStore(redis, { baseKey: `${base}-primary`, logger }),
        replicas: [new RedisFeatureFlagStore(redis, { baseKey: `${base}-replica` }), new MemoryFeatureFlagStore()],
        logger,
      });
    const keyOf = (s: FeatureFlagStore, name: string) => `${(s as RedisFeatureFlagStore).baseKey}/${name}`;
    const overFailingPrimary = (primary: RedisFeatureFlagStore, logger: RecordingLogger) =>
      new ReplicatedFeatureFlagStore({ primary, replicas: [new MemoryFeatureFlagStore()], logger });

    describeStoreConformance('ReplicatedFeatureFlagStore (async), Redis primary, Redis and memory replicas', {
      makeStore: ({ logger }) => make((current = uniqueBase()), logger),
      // Where the text does not parse, the memory replica holds nothing, as replication would leave it.
      writeRaw: async (store, name, json) => {
        const [textReplica, parsedReplica] = store.replicas;
        for (const s of [store.primary, textReplica]) await redis.set(keyOf(s, name), json);
        await writeParsed(parsedReplica, name, json).catch((e: unknown) => {
          if (!(e instanceof InvalidItemError)) throw e;
        });
      },
      readRaw: async (store, name) => (await redis.get(keyOf(store.primary, name))) ?? undefined,
      makeNeighbour: ({ logger }) => make(`${current}-neighbour`, logger),
      cleanup: async (store) => {
        await expectReplicasMatch(store);
        for (const s of [store.primary, store.replicas[0]]) {
          await deleteRedisKeysUnder(redis, (s as RedisFeatureFlagStore).baseKey);
        }
      },
      ...redisFaults(overFailingPrimary),
      notApplicable: {
        makeSecondStore:
          'replicas get the writes of the instance that replicates to them: a second writer leaves them behind',
      },
    });
  });

  describe('behaviour', function () {
    checkEachTestForLeaks(this); // the "leaves no timer" tests below rely on it

    function setup(replication: 'async' | 'sync', timeout = 5000) {
      const primary = new ControlledStore();
      const good = new ControlledStore();
      const bad = new ControlledStore();
      const logger = recordingLogger();
      const store = new ReplicatedFeatureFlagStore({ primary, replicas: [good, bad], replication, timeout, logger });
      const events: ReplicationErrorEvent[] = [];
      store.on('replicationError', (e) => events.push(e));
      return { primary, good, bad, logger, store, events };
    }

    it('reads from the primary only', async function () {
      const { primary, good, store } = setup('async');
      await primary.create('a', { isEnabled: true });
      await good.create('a', { isEnabled: false });
      expect((await store.get('a'))?.isEnabled).to.equal(true);
      expect((await store.list()).map((i) => i.isEnabled)).to.deep.equal([true]);
      expect(good.calls.get + good.calls.list).to.equal(0);
    });

    for (const replication of ['async', 'sync'] as const) {
      it(`${replication}: a replica that throws never fails the write; each failure is logged and emitted`, async function () {
        const { primary, good, bad, logger, store, events } = setup(replication);
        bad.failWrites = true;
        await store.create('a', { isEnabled: true });
        await store.set('a', false);
        await store.setMeta('a', (await store.get('a'))!.meta);
        await store.delete('a');
        await store.flush();
        expect(primary.calls).to.include({ create: 1, set: 1, setMeta: 1, delete: 1 });
        expect(good.calls).to.include({ create: 1, set: 1, setMeta: 1, delete: 1 });
        expect(events.map((e) => [e.replica, e.operation, e.featureName])).to.deep.equal([
          [1, 'create', 'a'],
          [1, 'set', 'a'],
          [1, 'setMeta', 'a'],
          [1, 'delete', 'a'],
        ]);
        for (const e of events) expect(e.error).to.be.instanceOf(StoreError);
        const errors = logger.lines.filter((l) => l.level === 'error');
        expect(errors).to.have.length(4);
        expect(errors[0].obj).to.include({ store: 'replicated', replica: 1, operation: 'create', flag: 'a' });
      });
    }

    it('sync: a replica that hangs delays the write by at most the timeout; the timeout is emitted and logged', async function () {
      const { primary, good, bad, logger, store, events } = setup('sync', 100);
      bad.hangWrites = true;
      const started = Date.now();
      await store.set('a', true);
      const elapsed = Date.now() - started;
      expect(elapsed).to.be.below(2000);
      expect((await primary.get('a'))?.isEnabled).to.equal(true);
      expect((await good.get('a'))?.isEnabled).to.equal(true);
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ replica: 1, operation: 'set', featureName: 'a' });
      expect(events[0].error).to.be.instanceOf(TimeoutError);
      expect(logger.lines.filter((l) => l.level === 'error')).to.have.length(1);
    });

    it('async: a write returns once the primary has it; flush waits for the replicas', async function () {
      const { primary, good, store } = setup('async');
      const paused = gate();
      good.writeGate = paused.promise;
      await store.create('a', { isEnabled: true });
      expect(await primary.get('a')).to.not.equal(undefined);
      let flushed = false;
      const flushing = store.flush().then(() => (flushed = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(flushed).to.equal(false);
      expect(await good.get('a')).to.equal(undefined);
      paused.open();
      await flushing;
      expect((await good.get('a'))?.isEnabled).to.equal(true);
    });

    it('async: a hanging replica does not delay writes; its timeouts are reported and flush returns', async function () {
      const { bad, store, events } = setup('async', 50);
      bad.hangWrites = true;
      for (let i = 0; i < 3; i++) await store.set(`f${i}`, true);
      // The writes resolved without letting a single timer run: they did not wait for the replica.
      expect(events).to.deep.equal([]);
      await store.flush();
      expect(events.map((e) => [e.featureName, e.error.constructor.name])).to.deep.equal([
        ['f0', 'TimeoutError'],
        ['f1', 'TimeoutError'],
        ['f2', 'TimeoutError'],
      ]);
    });

    it('async: each replica applies writes in the primary order, whatever its speed', async function () {
      const primary = new MemoryFeatureFlagStore();
      const slow = new ControlledStore();
      const store = new ReplicatedFeatureFlagStore({ primary, replicas: [slow], logger: silentLogger });
      const paused = gate();
      slow.writeGate = paused.promise;
      await store.create('a', { clientData: { v: 1 } });
      await store.set('a', true);
      const meta = (await store.get('a'))!.meta;
      await store.delete('a');
      await store.create('a', { clientData: { v: 2 } });
      await store.setMeta('a', meta);
      await store.set('a', false);
      paused.open();
      await store.flush();
      expect((await slow.list()).map((i) => i.toJSON())).to.deep.equal((await primary.list()).map((i) => i.toJSON()));
    });

    it("copies the primary's item exactly, created date included", async function () {
      const primary = new MemoryFeatureFlagStore({ clock: () => 1000 });
      const replica = new MemoryFeatureFlagStore({ clock: () => 2000 });
      const store = new ReplicatedFeatureFlagStore({
        primary,
        replicas: [replica],
        replication: 'sync',
        logger: silentLogger,
      });
      await store.create('a', { isEnabled: true, clientData: { x: 1 } });
      expect((await replica.get('a'))?.toJSON()).to.deep.equal((await primary.get('a'))?.toJSON());
    });

    it('a failed primary write fails the call and reaches no replica', async function () {
      const { primary, good, bad, store, events } = setup('sync');
      primary.failWrites = true;
      expect(await failure(store.create('a'))).to.be.instanceOf(StoreError);
      await store.flush();
      expect(good.calls.create + bad.calls.create).to.equal(0);
      expect(events).to.deep.equal([]);
    });

    it('a listener that throws is logged and does not break replication', async function () {
      const { bad, good, logger, store } = setup('sync');
      bad.failWrites = true;
      store.on('replicationError', () => {
        throw new Error('listener bug');
      });
      await store.create('a');
      await store.create('b');
      expect((await good.list()).length).to.equal(2);
      expect(logger.lines.filter((l) => l.msg?.includes('listener'))).to.have.length(2);
    });

    it('close waits for replication, then closes every store, and leaves no timer', async function () {
      const closed: string[] = [];
      const primary = new ControlledStore();
      const replica = new ControlledStore();
      primary.close = async () => void closed.push('primary');
      replica.close = async () => void closed.push('replica');
      const store = new ReplicatedFeatureFlagStore({ primary, replicas: [replica], logger: silentLogger });
      const paused = gate();
      replica.writeGate = paused.promise;
      await store.create('a');
      const closing = store.close();
      setImmediate(() => paused.open());
      await closing;
      await store.close();
      expect(await replica.get('a')).to.not.equal(undefined);
      expect(closed).to.deep.equal(['primary', 'replica']);
    });

    it('rejects bad options with InvalidArgumentError', function () {
      const primary = new MemoryFeatureFlagStore();
      expect(() => new ReplicatedFeatureFlagStore({ primary, timeout: 0 })).to.throw(InvalidArgumentError, 'timeout');
      expect(() => new ReplicatedFeatureFlagStore({ primary, replication: 'eventually' as 'sync' })).to.throw(
        InvalidArgumentError,
        'replication',
      );
      expect(() => new ReplicatedFeatureFlagStore({ primary: undefined as unknown as FeatureFlagStore })).to.throw(
        InvalidArgumentError,
        'primary',
      );
    });
  });
});
