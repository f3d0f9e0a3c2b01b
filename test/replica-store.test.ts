import { expect } from 'chai';
import {
  CachedFeatureFlagStore,
  FeatureFlagClient,
  MemoryFeatureFlagStore,
  SyncEvaluationUnsupportedError,
  ThriftReplicaFeatureFlagStore,
  ThriftRPCFeatureFlagStore,
} from '../client';
import { serve, quietLogger, type Served } from './helpers/rpc-served';
import { nextChange, nextEvent } from './helpers/replica-waits';

describe('ThriftReplicaFeatureFlagStore: a copy in memory, kept current by the change feed', function () {
  this.timeout(20_000);
  let served: Served;
  const replicas: ThriftReplicaFeatureFlagStore[] = [];
  const replicaOf = (options = {}) => {
    const replica = new ThriftReplicaFeatureFlagStore(
      { port: served.port },
      { logger: quietLogger, reconnect: { initialDelayMs: 10, maxDelayMs: 50 }, ...options },
    );
    replicas.push(replica);
    return replica;
  };

  beforeEach(async () => {
    served = await serve(new MemoryFeatureFlagStore());
  });
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.close()));
    await served.close();
  });

  it('loads the snapshot, says fresh, and answers from memory (isEnabledSync included)', async () => {
    await served.rpc.create('on', { isEnabled: true });
    await served.rpc.create('off');
    const replica = replicaOf();
    const client = new FeatureFlagClient(replica);
    expect(await client.ready({ timeout: 5000 })).to.equal('fresh');
    expect(client.isEnabledSync('on')).to.equal(true);
    expect(client.isEnabledSync('off')).to.equal(false);
    expect(client.isEnabledSync('missing', undefined, { default: true })).to.equal(true);
    expect(await client.isEnabled('on')).to.equal(true);
    expect((await replica.list()).map((i) => i.featureName)).to.deep.equal(['off', 'on']);
  });

  it('sees a change made by another client through the server, with a changed event naming it', async () => {
    await served.rpc.create('f');
    const replica = replicaOf();
    await replica.ready();
    const changed = nextChange(replica, 'f');
    await served.rpc.set('f', true);
    expect(await changed).to.deep.equal(['f']);
    expect(replica.peek('f')?.isEnabled).to.equal(true);
    const deleted = nextChange(replica, 'f');
    await served.rpc.delete('f');
    await deleted;
    expect(replica.peek('f')).to.equal(null);
  });

  it('its own writes are visible locally as soon as they resolve', async () => {
    const replica = replicaOf();
    const client = new FeatureFlagClient(replica);
    await client.ready();
    await client.create('mine');
    await client.enable('mine');
    expect(client.isEnabledSync('mine')).to.equal(true);
    await client.disable('mine');
    expect(client.isEnabledSync('mine')).to.equal(false);
    await client.destroy('mine');
    expect(await client.exists('mine')).to.equal(false);
  });

  it('emits ready once, asynchronously, never inside the constructor', async () => {
    let inConstructor = true;
    const seen: string[] = [];
    const replica = replicaOf();
    replica.events.on('ready', (status) => {
      expect(inConstructor).to.equal(false);
      seen.push(status);
    });
    inConstructor = false;
    await nextEvent(replica, 'ready');
    expect(seen).to.deep.equal(['fresh']);
  });

  it('isEnabledSync on a store that needs I/O is a typed error, not a default', async () => {
    const client = new FeatureFlagClient(served.rpc);
    expect(() => client.isEnabledSync('x')).to.throw(SyncEvaluationUnsupportedError, /await isEnabled/);
    expect(await client.ready()).to.equal('fresh');
  });

  it('isEnabledSync on a cache: a hit answers, a miss is the typed error', async () => {
    await served.rpc.create('cached', { isEnabled: true });
    const cached = new CachedFeatureFlagStore(served.rpc);
    const client = new FeatureFlagClient(cached);
    expect(() => client.isEnabledSync('cached')).to.throw(SyncEvaluationUnsupportedError, /not cached/);
    expect(await client.isEnabled('cached')).to.equal(true);
    expect(client.isEnabledSync('cached')).to.equal(true);
    expect(new FeatureFlagClient(new MemoryFeatureFlagStore()).isEnabledSync('none')).to.equal(false);
  });

  it('a server restart on another port is not needed: the replica of a closed server keeps answering and reports stale', async () => {
    await served.rpc.create('kept', { isEnabled: true });
    const replica = replicaOf({ staleAfter: 100 });
    await replica.ready();
    const stale = nextEvent(replica, 'stale');
    await served.server.close();
    await stale;
    expect(replica.status).to.equal('stale');
    expect(replica.peek('kept')?.isEnabled).to.equal(true);
  });

  it('ready() says defaults after its timeout when nothing is reachable and nothing was passed', async () => {
    await served.server.close();
    const replica = replicaOf();
    const started = Date.now();
    expect(await replica.ready({ timeout: 200 })).to.equal('defaults');
    expect(Date.now() - started).to.be.lessThan(2000);
    expect(new FeatureFlagClient(replica).isEnabledSync('x', undefined, { default: true })).to.equal(true);
  });

  it('bootstrap data answers until the server does', async () => {
    await served.server.close();
    const replica = replicaOf({
      bootstrap: { shipped: { is_enabled: true, meta: { client_data: {}, conditions: [], bucketer: null } } },
    });
    expect(replica.status).to.equal('bootstrap');
    expect(await replica.ready({ timeout: 100 })).to.equal('bootstrap');
    expect(replica.peek('shipped')?.isEnabled).to.equal(true);
  });

  it('the plain RPC store still works against the same server (old methods unchanged)', async () => {
    const rpc = new ThriftRPCFeatureFlagStore({ port: served.port });
    try {
      await rpc.create('x', { isEnabled: true });
      expect((await rpc.get('x'))?.isEnabled).to.equal(true);
    } finally {
      await rpc.close();
    }
  });
});
