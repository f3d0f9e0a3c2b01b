import { expect } from 'chai';
import {
  Condition,
  EventType,
  FeatureFlagClient,
  FlipperEventEmitter,
  FlipperEventSubscriber,
  MemoryFeatureFlagStore,
  NoOpBucketer,
  type IEventEmitter,
} from '../client';

type Seen = Array<[string, string, object]>;

async function runEveryChange(client: FeatureFlagClient, condition: Condition, bucketer: NoOpBucketer) {
  await client.create('F', { isEnabled: true, clientData: { creator: 'adambom' } });
  await client.enable('F');
  await client.disable('F');
  await client.addCondition('F', condition);
  await client.setConditions('F', [condition]);
  await client.setClientData('F', { ttl: 1 });
  await client.setBucketer('F', bucketer);
  await client.destroy('F');
}

describe('events', function () {
  const condition = new Condition({ is_admin: true });
  const bucketer = new NoOpBucketer();
  const expected: Seen = [
    ['pre_create', 'F', { isEnabled: true, clientData: { creator: 'adambom' } }],
    ['post_create', 'F', { isEnabled: true, clientData: { creator: 'adambom' } }],
    ['pre_enable', 'F', {}],
    ['post_enable', 'F', {}],
    ['pre_disable', 'F', {}],
    ['post_disable', 'F', {}],
    ['pre_add_condition', 'F', { condition }],
    ['post_add_condition', 'F', { condition }],
    ['pre_set_conditions', 'F', { conditions: [condition] }],
    ['post_set_conditions', 'F', { conditions: [condition] }],
    ['pre_set_client_data', 'F', { clientData: { ttl: 1 } }],
    ['post_set_client_data', 'F', { clientData: { ttl: 1 } }],
    ['pre_set_bucketer', 'F', { bucketer }],
    ['post_set_bucketer', 'F', { bucketer }],
    ['pre_destroy', 'F', {}],
    ['post_destroy', 'F', {}],
  ];

  it('has every event type of the Python library, with its string values', function () {
    expect(Object.values(EventType)).to.have.members(expected.map(([type]) => type));
    expect(Object.keys(EventType)).to.have.length(16);
  });

  it('emits every event with the flag name and the Python keyword arguments in camelCase', async function () {
    const client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    const seen: Seen = [];
    for (const type of Object.values(EventType)) client.events.on(type, (name, args) => seen.push([type, name, args]));
    await runEveryChange(client, condition, bucketer);
    expect(seen).to.deep.equal(expected);
  });

  it('calls a registered subscriber for every event until it is removed', async function () {
    const seen: Seen = [];
    class Recorder extends FlipperEventSubscriber {}
    const recorder = new Recorder();
    for (const type of Object.values(EventType)) {
      const method = ('on' + type.replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase())) as keyof Recorder;
      (recorder as unknown as Record<string, unknown>)[method] = (name: string, args: object) =>
        seen.push([type, name, args]);
    }
    const client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    client.events.registerSubscriber(recorder);
    await runEveryChange(client, condition, bucketer);
    expect(seen).to.deep.equal(expected);
    client.events.removeSubscriber(recorder);
    await client.create('G');
    expect(seen).to.have.length(expected.length);
  });

  it('a subscriber overriding only some methods gets only those', async function () {
    const created: string[] = [];
    class OnCreate extends FlipperEventSubscriber {
      override onPostCreate(featureName: string) {
        created.push(featureName);
      }
    }
    const client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    client.events.registerSubscriber(new OnCreate());
    await client.create('A');
    await client.enable('A');
    expect(created).to.deep.equal(['A']);
  });

  it('once and off work as on a Node EventEmitter', async function () {
    const client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    const seen: string[] = [];
    const listener = (name: string) => seen.push(name);
    client.events.once(EventType.POST_CREATE, listener);
    await client.create('A');
    await client.create('B');
    client.events.on(EventType.POST_CREATE, listener);
    client.events.off(EventType.POST_CREATE, listener);
    await client.create('C');
    expect(seen).to.deep.equal(['A']);
  });

  it('a PRE_ listener that throws stops the change before the store is touched', async function () {
    const client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    await client.create('F');
    client.events.on(EventType.PRE_ENABLE, () => {
      throw new Error('frozen');
    });
    let error: unknown;
    try {
      await client.enable('F');
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal('frozen');
    expect(await client.isEnabled('F')).to.equal(false);
  });

  it('can be replaced by a custom emitter', async function () {
    const emitted: string[] = [];
    class Custom extends FlipperEventEmitter {
      override emit(type: EventType, featureName: string, args: never): boolean {
        emitted.push(`${type}:${featureName}`);
        return super.emit(type, featureName, args);
      }
    }
    const client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    const custom: IEventEmitter = new Custom();
    client.events = custom;
    await client.create('F');
    expect(emitted).to.deep.equal(['pre_create:F', 'post_create:F']);
  });
});
