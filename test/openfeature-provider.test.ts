import { expect } from 'chai';
import {
  OpenFeature,
  ProviderEvents,
  type EvaluationDetails,
  type FlagValue,
  type Hook,
  type HookContext,
} from '@openfeature/server-sdk';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  MemoryFeatureFlagStore,
  Percentage,
  ThriftRPCFeatureFlagStore,
} from '../client';
import { FlipperProvider } from '../client/openfeature';
import { quietLogger } from './helpers/rpc-served';
import { unusedPort } from './helpers/tcp-faults';
import { ThriftReplicaFeatureFlagStore } from '../client/replica/replica-store';

async function until(test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
import { FlagServer } from '../server/flag-server';

/** Records what each stage of the SDK's hooks saw. */
class RecordingHook implements Hook {
  readonly seen: string[] = [];
  before(context: HookContext) {
    this.seen.push(`before ${context.flagKey}`);
  }
  after(_context: HookContext, details: EvaluationDetails<FlagValue>) {
    this.seen.push(`after ${details.flagKey} ${String(details.value)} ${details.reason}`);
  }
  error(context: HookContext, error: unknown) {
    this.seen.push(`error ${context.flagKey} ${(error as { code?: string }).code}`);
  }
  finally(context: HookContext) {
    this.seen.push(`finally ${context.flagKey}`);
  }
}

describe('FlipperProvider through the OpenFeature SDK', function () {
  let store: MemoryFeatureFlagStore;
  let client: FeatureFlagClient;
  let provider: FlipperProvider;
  let domain = 0;
  let name: string;

  beforeEach(async function () {
    store = new MemoryFeatureFlagStore();
    client = new FeatureFlagClient(store, { logger: quietLogger });
    provider = new FlipperProvider(client);
    // A domain per test: providers of other tests never answer.
    name = `flipper-test-${++domain}`;
    await OpenFeature.setProviderAndWait(name, provider);
  });

  afterEach(async function () {
    await OpenFeature.clearProviders();
    OpenFeature.clearHooks();
  });

  it('off flags are DISABLED, plain on flags DEFAULT, with on/off variants', async function () {
    await client.create('on', { isEnabled: true });
    await client.create('off');
    const of = OpenFeature.getClient(name);
    expect(await of.getBooleanDetails('on', false)).to.include({ value: true, reason: 'DEFAULT', variant: 'on' });
    expect(await of.getBooleanDetails('off', true)).to.include({ value: false, reason: 'DISABLED', variant: 'off' });
  });

  it('targetingKey is the user_id check; other attributes are checks as they are', async function () {
    await client.create('admins', { isEnabled: true });
    await client.addCondition('admins', new Condition({ user_id__in: [7, 'u-7'], plan: 'pro' }));
    const of = OpenFeature.getClient(name);
    const held = await of.getBooleanDetails('admins', false, { targetingKey: 'u-7', plan: 'pro' });
    expect(held).to.include({ value: true, reason: 'TARGETING_MATCH' });
    const failed = await of.getBooleanDetails('admins', true, { targetingKey: 'u-8' });
    expect(failed).to.include({ value: false, reason: 'TARGETING_MATCH' });
  });

  it('the targeting key name is configurable', async function () {
    const byOrg = new FlipperProvider(client, { targetingKey: 'org' });
    await OpenFeature.setProviderAndWait(`${name}-org`, byOrg);
    await client.create('orgs', { isEnabled: true });
    await client.addCondition('orgs', new Condition({ org: 'acme' }));
    const of = OpenFeature.getClient(`${name}-org`);
    expect(await of.getBooleanValue('orgs', false, { targetingKey: 'acme' })).to.equal(true);
    expect(await of.getBooleanValue('orgs', true, { targetingKey: 'other' })).to.equal(false);
  });

  it('a percentage bucketer deciding is SPLIT, as isEnabled decides', async function () {
    await client.create('half', { isEnabled: true });
    const bucketer = new ConsistentHashPercentageBucketer({
      keyWhitelist: ['user_id'],
      percentage: new Percentage(0.5),
    });
    await client.setBucketer('half', bucketer);
    const of = OpenFeature.getClient(name);
    for (let i = 0; i < 20; i++) {
      const details = await of.getBooleanDetails('half', false, { targetingKey: String(i) });
      expect(details.reason).to.equal('SPLIT');
      expect(details.value).to.equal(await client.isEnabled('half', { user_id: String(i) }));
    }
  });

  it('a missing flag is the default with FLAG_NOT_FOUND, and error hooks run', async function () {
    const hook = new RecordingHook();
    const of = OpenFeature.getClient(name);
    of.addHooks(hook);
    const details = await of.getBooleanDetails('missing', true);
    expect(details).to.include({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(hook.seen).to.deep.equal(['before missing', 'error missing FLAG_NOT_FOUND', 'finally missing']);
  });

  it('hooks see every stage of a good evaluation, and a before hook can add context', async function () {
    await client.create('beta', { isEnabled: true });
    await client.addCondition('beta', new Condition({ country: 'NZ' }));
    const hook = new RecordingHook();
    const addCountry: Hook = { before: () => ({ country: 'NZ' }) };
    const of = OpenFeature.getClient(name);
    of.addHooks(addCountry, hook);
    const details = await of.getBooleanDetails('beta', false, { targetingKey: 'u1' });
    expect(details).to.include({ value: true, reason: 'TARGETING_MATCH' });
    expect(hook.seen).to.deep.equal(['before beta', 'after beta true TARGETING_MATCH', 'finally beta']);
  });

  it('non-boolean requests are TYPE_MISMATCH with the default', async function () {
    await client.create('flag', { isEnabled: true });
    const of = OpenFeature.getClient(name);
    expect(await of.getStringDetails('flag', 'x')).to.include({
      value: 'x',
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
    });
    expect(await of.getNumberDetails('flag', 3)).to.include({ value: 3, errorCode: 'TYPE_MISMATCH' });
    expect((await of.getObjectDetails('flag', { a: 1 })).errorCode).to.equal('TYPE_MISMATCH');
  });

  it('client data is the flag metadata: primitives as they are, the rest as JSON text', async function () {
    await client.create('meta', {
      isEnabled: true,
      clientData: { owner: 'payments', ticket: 4521, live: true, tags: ['a'], big: 2n ** 64n },
    });
    const details = await OpenFeature.getClient(name).getBooleanDetails('meta', false);
    expect(details.flagMetadata).to.deep.equal({
      owner: 'payments',
      ticket: 4521,
      live: true,
      tags: '["a"]',
      big: '18446744073709551616',
    });
  });

  it('changes through the client are CONFIGURATION_CHANGED with the flag name; stale() is STALE', async function () {
    const changed: string[][] = [];
    const stale: string[] = [];
    const of = OpenFeature.getClient(name);
    of.addHandler(ProviderEvents.ConfigurationChanged, (event) => changed.push(event?.flagsChanged ?? []));
    of.addHandler(ProviderEvents.Stale, (event) => stale.push(event?.message ?? ''));
    await client.create('watched');
    await client.enable('watched');
    provider.configurationChanged(['from-replica']);
    provider.stale('replica lost its source');
    await new Promise((resolve) => setImmediate(resolve));
    expect(changed).to.deep.equal([['watched'], ['watched'], ['from-replica']]);
    expect(stale).to.deep.equal(['replica lost its source']);
  });

  it('over a replica store: every change the replica receives is CONFIGURATION_CHANGED with its names', async function () {
    const backend = new MemoryFeatureFlagStore();
    const server = new FlagServer({ store: backend, port: 0, logger: quietLogger });
    const { port } = await server.listen();
    const replica = new ThriftReplicaFeatureFlagStore({ port }, { logger: quietLogger });
    const writer = new FeatureFlagClient(new ThriftRPCFeatureFlagStore({ port }), { logger: quietLogger });
    try {
      await replica.ready();
      const domainName = `${name}-replica`;
      const of = OpenFeature.getClient(domainName);
      const changed: string[][] = [];
      of.addHandler(ProviderEvents.ConfigurationChanged, (event) => changed.push(event?.flagsChanged ?? []));
      await OpenFeature.setProviderAndWait(
        domainName,
        new FlipperProvider(new FeatureFlagClient(replica, { logger: quietLogger })),
      );
      await writer.create('elsewhere', { isEnabled: true });
      await until(() => changed.some((names) => names.includes('elsewhere')));
      expect(await of.getBooleanValue('elsewhere', false)).to.equal(true);
    } finally {
      await writer.store.close?.();
      await replica.close();
      await server.close();
    }
  });

  it('ERROR, not READY, when the store cannot be reached at start', async function () {
    const rpc = new ThriftRPCFeatureFlagStore({ port: await unusedPort() }, { timeout: 300 });
    const events: string[] = [];
    try {
      const domainName = `${name}-down`;
      const of = OpenFeature.getClient(domainName);
      for (const type of [ProviderEvents.Ready, ProviderEvents.Error]) of.addHandler(type, () => events.push(type));
      let failed: unknown;
      await OpenFeature.setProviderAndWait(
        domainName,
        new FlipperProvider(new FeatureFlagClient(rpc, { logger: quietLogger })),
      ).catch((error: unknown) => (failed = error));
      expect(failed).to.be.instanceOf(Error);
      await new Promise((resolve) => setImmediate(resolve));
      expect(events).to.deep.equal([ProviderEvents.Error]);
      expect(await of.getBooleanDetails('anything', true)).to.include({ value: true, reason: 'ERROR' });
    } finally {
      await rpc.close();
    }
  });

  it('READY when the store answers; ERROR when it fails (GENERAL, the default), READY again when it answers', async function () {
    const backend = new MemoryFeatureFlagStore();
    const listen = async (port: number) => {
      const server = new FlagServer({ store: backend, port, logger: quietLogger });
      return { server, port: (await server.listen()).port };
    };
    let served = await listen(0);
    const rpc = new ThriftRPCFeatureFlagStore({ port: served.port }, { timeout: 500 });
    const rpcClient = new FeatureFlagClient(rpc, { logger: quietLogger });
    const events: string[] = [];
    try {
      await rpcClient.create('remote', { isEnabled: true });
      const remote = new FlipperProvider(rpcClient);
      const domainName = `${name}-rpc`;
      const of = OpenFeature.getClient(domainName);
      for (const type of [ProviderEvents.Ready, ProviderEvents.Error]) of.addHandler(type, () => events.push(type));
      await OpenFeature.setProviderAndWait(domainName, remote);
      expect(await of.getBooleanValue('remote', false)).to.equal(true);
      await served.server.close();
      const failed = await of.getBooleanDetails('remote', true);
      expect(failed).to.include({ value: true, reason: 'ERROR', errorCode: 'GENERAL' });
      served = await listen(served.port);
      let value = false;
      for (let i = 0; i < 40 && !value; i++) {
        value = await of.getBooleanValue('remote', false);
        if (!value) await new Promise((r) => setTimeout(r, 50));
      }
      expect(value).to.equal(true);
      expect(events).to.deep.equal([ProviderEvents.Ready, ProviderEvents.Error, ProviderEvents.Ready]);
    } finally {
      await rpc.close();
      await served.server.close();
    }
  });
});
