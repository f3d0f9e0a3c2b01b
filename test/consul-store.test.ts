import { expect } from 'chai';
import Consul from 'consul';
import {
  ConnectionError,
  ConsulFeatureFlagStore,
  FeatureFlagClient,
  InvalidArgumentError,
  StoreError,
} from '../client';
import { ConsulLocalCopy } from '../client/stores/consul-local-copy';
import { describeStoreConformance, type FaultyBackend, type RecordingLogger } from '../client/testing';
import { recordingLogger } from './helpers/broken-store';
import { failure, silentLogger, waitFor } from './helpers/controlled-store';
import { FakeConsul } from './helpers/fake-consul';
import { checkEachTestForLeaks } from './helpers/leak-guard';
import { Leftovers, uniqueNames } from './helpers/store-capabilities';

const uniqueBase = uniqueNames('flipper-consul-test');

/** Writes through Consul's HTTP API, as the Python store does, then waits until the watch delivered it. */
async function writeAsPython(consul: Consul, store: ConsulFeatureFlagStore, name: string, text: string): Promise<void> {
  await store.ready();
  await consul.kv.set(`${store.baseKey}/${name}`, text);
  // Once loaded, peek answers null for an absent flag, and undefined for one that does not parse.
  await waitFor(() => store.peek(name) !== null, 5000, `the watch to deliver ${name}`);
}

function conformance(label: string, consul: () => Consul) {
  let current = '';
  const make = (baseKey: string, logger: RecordingLogger) =>
    new ConsulFeatureFlagStore(consul(), { baseKey, wait: 5, logger });
  const leftovers = new Leftovers();
  const faulty: FaultyBackend<ConsulFeatureFlagStore> = {
    makeStore: ({ host, port }, { logger }) => {
      const unusable = new Consul({ host, port });
      const store = new ConsulFeatureFlagStore(unusable, { timeout: 300, minBackoff: 10_000, logger });
      return leftovers.keep(store, () => unusable.destroy());
    },
    withinMs: 2000,
    logsOutageOnce: true,
    release: leftovers.release,
  };
  describeStoreConformance(label, {
    makeStore: ({ logger }) => make((current = uniqueBase()), logger),
    writeRaw: (store, name, text) => writeAsPython(consul(), store, name, text),
    readRaw: async (store, name) => {
      const entry = (await consul().kv.get(`${store.baseKey}/${name}`)) as { Value?: string } | undefined;
      return entry?.Value ?? undefined;
    },
    makeNeighbour: ({ logger }) => make(`${current}-neighbour`, logger),
    cleanup: async (store) => {
      await consul().kv.del({ key: `${store.baseKey}/`, recurse: true });
    },
    unreachableBackend: faulty,
    hangingBackend: faulty,
    notApplicable: {
      makeSecondStore:
        "reads come from a local copy its watch keeps: another instance's writes arrive with the watch, not at once",
    },
  });
}

describe('ConsulFeatureFlagStore', function () {
  describe('against the fake Consul KV server (test/helpers/fake-consul.ts)', function () {
    let fake: FakeConsul;
    let consul: Consul;

    before(async function () {
      fake = await new FakeConsul().start();
      consul = new Consul({ host: '127.0.0.1', port: fake.port });
    });

    after(async function () {
      consul?.destroy();
      await fake?.close();
    });

    conformance('ConsulFeatureFlagStore on the fake Consul', () => consul);
  });

  describe('against a real Consul agent at CONSUL_HTTP_ADDR', function () {
    // No Consul agent can be installed on the project's machines; set CONSUL_HTTP_ADDR=host:port to run these.
    const address = process.env.CONSUL_HTTP_ADDR;
    if (!address) {
      it.skip('store conformance on a real agent (skipped: CONSUL_HTTP_ADDR is not set)');
      return;
    }
    let consul: Consul | undefined;

    before(function () {
      const url = new URL(address.includes('://') ? address : `http://${address}`);
      consul = new Consul({ host: url.hostname, port: Number(url.port || 8500), secure: url.protocol === 'https:' });
    });

    after(function () {
      consul?.destroy();
    });

    conformance('ConsulFeatureFlagStore on a real agent', () => consul!);
  });

  describe('behaviour', function () {
    checkEachTestForLeaks(this); // the "no timer" and "leaves no timer" tests below rely on it
    let fake: FakeConsul;
    let consul: Consul;
    const stores: ConsulFeatureFlagStore[] = [];

    const make = (options: ConstructorParameters<typeof ConsulFeatureFlagStore>[1] = {}) => {
      const store = new ConsulFeatureFlagStore(consul, {
        baseKey: uniqueBase(),
        logger: silentLogger,
        ...options,
      });
      stores.push(store);
      return store;
    };

    beforeEach(async function () {
      fake = await new FakeConsul().start();
      consul = new Consul({ host: '127.0.0.1', port: fake.port });
    });

    afterEach(async function () {
      for (const store of stores.splice(0)) await store.close();
      consul.destroy();
      await fake.close();
    });

    it('keeps flags under features/<name> by default, as the Python JSON', async function () {
      const store = make({ baseKey: undefined });
      expect(store.baseKey).to.equal('features');
      await new FeatureFlagClient(store, { logger: silentLogger }).create('a/b', { isEnabled: true });
      const stored = JSON.parse(fake.value('features/a/b')!) as Record<string, unknown>;
      expect(stored).to.have.all.keys('feature_name', 'is_enabled', 'meta');
      expect(stored).to.include({ feature_name: 'a/b', is_enabled: true });
    });

    it('reads cost no network call once the copy is loaded; the watch is one blocking query by index', async function () {
      const store = make({ wait: 30 });
      await store.create('a', { isEnabled: true });
      await store.ready();
      const client = new FeatureFlagClient(store, { logger: silentLogger });
      await waitFor(() => fake.blockedQueries === 1, 3000, 'the watch to block');
      const requests = fake.requests.length;
      for (let i = 0; i < 200; i++) expect(await client.isEnabled('a')).to.equal(true);
      expect(await store.get('missing')).to.equal(undefined);
      expect((await store.list()).length).to.equal(1);
      expect(fake.requests.length).to.equal(requests);
      const blocking = fake.requests.filter((r) => decodeURIComponent(r).startsWith(`GET /v1/kv/${store.baseKey}/?`));
      expect(blocking.at(-1))
        .to.match(/[?&]recurse=true/)
        .and.match(/[?&]index=\d+/)
        .and.match(/[?&]wait=30s/);
    });

    it('the watch picks up a flag created, changed and deleted directly in Consul by another process', async function () {
      const store = make();
      await store.ready();
      const key = `${store.baseKey}/other`;
      fake.put(key, JSON.stringify({ feature_name: 'other', is_enabled: true, meta: {} }));
      await waitFor(() => store.peek('other')?.isEnabled === true, 3000, 'the created flag');
      fake.put(key, JSON.stringify({ feature_name: 'other', is_enabled: false, meta: {} }));
      await waitFor(() => store.peek('other')?.isEnabled === false, 3000, 'the changed flag');
      fake.remove(key);
      await waitFor(() => store.peek('other') === null, 3000, 'the deleted flag to leave the copy');
      expect(await store.list()).to.deep.equal([]);
    });

    it('reads before the first load wait for it', async function () {
      fake.put(`features/early`, JSON.stringify({ feature_name: 'early', is_enabled: true, meta: {} }));
      const store = make({ baseKey: 'features' });
      expect(store.peek('early')).to.equal(undefined);
      expect((await store.get('early'))?.isEnabled).to.equal(true);
    });

    it('reads before any load, while Consul fails, reject with the failure at once', async function () {
      fake.failNext(1000);
      const store = make({ minBackoff: 10_000 });
      const first = await failure(store.get('a'));
      expect(first).to.be.instanceOf(StoreError);
      expect(String((first as Error).message)).to.contain('HTTP 500');
      expect(await failure(store.list())).to.be.instanceOf(ConnectionError);
    });

    it('after errors the watch backs off exponentially, keeps serving the last copy, logs once, and recovers', async function () {
      const logger = recordingLogger();
      const store = make({ wait: 1, minBackoff: 20, maxBackoff: 1000, logger });
      await store.create('a', { isEnabled: true });
      await store.ready();
      await waitFor(() => fake.blockedQueries === 1, 3000, 'the watch to block');
      const watchGets = () =>
        fake.requestTimes.filter((r) => decodeURIComponent(r.request).startsWith(`GET /v1/kv/${store.baseKey}/?`));
      const before = watchGets().length;
      // The held query answers this change; the next 4 queries fail, the 5th succeeds.
      fake.failNext(4);
      fake.put(`${store.baseKey}/b`, JSON.stringify({ feature_name: 'b', is_enabled: true, meta: {} }));
      await waitFor(() => watchGets().length >= before + 2, 3000, 'failing queries');
      expect((await store.get('a'))?.isEnabled).to.equal(true); // served from the last copy meanwhile
      expect(store.peek('b')?.isEnabled).to.equal(true);
      await waitFor(() => logger.lines.some((l) => l.level === 'info'), 5000, 'the watch to recover');
      const times = watchGets()
        .slice(before)
        .map((r) => r.at);
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      expect(gaps).to.have.length.of.at.least(4);
      [20, 40, 80, 160].forEach((min, i) => expect(gaps[i], `pause ${i}`).to.be.at.least(min - 2));
      expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn', 'info']);
    });

    it('close stops the watch: no query held, no request after it, no timer; the client can then close its sockets', async function () {
      const store = make({ wait: 30 });
      await store.ready();
      await waitFor(() => fake.blockedQueries === 1, 3000, 'the watch to block');
      await store.close();
      await store.close();
      await waitFor(() => fake.blockedQueries === 0, 3000, 'the held query to be dropped');
      const requests = fake.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(fake.requests.length).to.equal(requests);
      consul.destroy();
      await waitFor(() => fake.connections === 0, 3000, 'the sockets to close');
      expect(await failure(store.get('a'))).to.be.instanceOf(StoreError);
    });

    it('close during a backoff pause returns at once and leaves no timer', async function () {
      fake.failNext(1000);
      const store = make({ minBackoff: 60_000 });
      store.peek('a'); // starts the watch
      await waitFor(() => fake.requests.length >= 1, 3000);
      await new Promise((resolve) => setImmediate(resolve));
      const started = Date.now();
      await store.close();
      expect(Date.now() - started).to.be.below(1000);
    });

    it('rejects bad options with InvalidArgumentError', function () {
      for (const options of [{ baseKey: '' }, { baseKey: 'features/' }, { wait: 0 }, { timeout: -1 }]) {
        expect(
          () => new ConsulFeatureFlagStore(consul, { ...options, logger: silentLogger }),
          JSON.stringify(options),
        ).to.throw(InvalidArgumentError);
      }
    });
  });

  describe('the local copy', function () {
    const json = (enabled: boolean) => JSON.stringify({ feature_name: 'a', is_enabled: enabled, meta: {} });

    it('keeps a write of this process over a snapshot whose query was sent before the write', function () {
      const copy = new ConsulLocalCopy({});
      copy.applySnapshot([{ name: 'a', raw: json(false), modifyIndex: 5 }], copy.sequence);
      const sentBefore = copy.sequence;
      copy.applyWrite('a', json(true));
      copy.applyWrite('b', undefined);
      copy.applySnapshot(
        [
          { name: 'a', raw: json(false), modifyIndex: 5 },
          { name: 'b', raw: json(true), modifyIndex: 4 },
        ],
        sentBefore,
      );
      expect(copy.item('a')?.isEnabled).to.equal(true);
      expect(copy.item('b')).to.equal(undefined);
      // A snapshot from a query sent after the writes is Consul's word, whatever it says.
      copy.applySnapshot([{ name: 'a', raw: json(false), modifyIndex: 9 }], copy.sequence);
      expect(copy.item('a')?.isEnabled).to.equal(false);
    });

    it('drops keys gone from a snapshot, and parses an unchanged key once', function () {
      const copy = new ConsulLocalCopy({});
      copy.applySnapshot(
        [
          { name: 'a', raw: json(true), modifyIndex: 1 },
          { name: 'b', raw: json(true), modifyIndex: 2 },
        ],
        0,
      );
      const parsed = copy.item('a');
      copy.applySnapshot([{ name: 'a', raw: json(true), modifyIndex: 1 }], 0);
      expect(copy.item('a')).to.equal(parsed);
      expect(copy.item('b')).to.equal(undefined);
      expect(copy.page(undefined, 0).map(([n]) => n)).to.deep.equal(['a']);
    });
  });
});
