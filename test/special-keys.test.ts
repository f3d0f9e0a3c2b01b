import { expect } from 'chai';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  EventType,
  FeatureFlagClient,
  MemoryFeatureFlagStore,
  Percentage,
  ThriftRPCFeatureFlagStore,
  deserializeItem,
  serializeItem,
  type FeatureFlagStore,
} from '../client';
import { serve, type Served } from './helpers/rpc-served';

/** The names that broke plain objects: each must be an ordinary name everywhere. */
const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** `{ name: value }` with every name an own key (an object literal's `__proto__` would set the prototype). */
function own(entries: Array<[string, unknown]>): Record<string, never> {
  return Object.fromEntries(entries) as Record<string, never>;
}

async function exerciseSpecialKeys(store: FeatureFlagStore, where: string): Promise<void> {
  const client = new FeatureFlagClient(store);
  const seen: unknown[] = [];
  client.events.on(EventType.POST_SET_CLIENT_DATA, (_name, args) => seen.push(args.clientData));
  const clientData = own(NAMES.map((n, i) => [n, { i, big: 9007199254740993n }]));
  await client.create('SPECIAL', { isEnabled: true, clientData: own([['__proto__', 'first']]) });
  await client.setClientData('SPECIAL', clientData);
  const data = await client.getClientData('SPECIAL');
  expect(Object.keys(data).sort(), where).to.deep.equal([...NAMES].sort());
  expect(Object.getPrototypeOf(data), where).to.equal(Object.prototype);
  for (const [i, n] of NAMES.entries())
    expect(Object.getOwnPropertyDescriptor(data, n)?.value, n).to.deep.equal({ i, big: 9007199254740993n });
  expect(Object.keys(seen[0] as object), where).to.deep.equal(NAMES);

  // One condition on every name: equality, an operator, a list.
  await client.addCondition('SPECIAL', new Condition(own(NAMES.map((n, i) => [n, i]))));
  await client.addCondition(
    'SPECIAL',
    new Condition(
      own([
        ['hasOwnProperty__in', [0, 4]],
        ['__proto____gt', 9],
      ]),
    ),
  );
  const conditions = (await client.getMeta('SPECIAL')).conditions;
  expect(
    conditions.map((c) => c.variables.sort()),
    where,
  ).to.deep.equal([[...NAMES].sort(), ['__proto____gt', 'hasOwnProperty'].sort()]);
  for (const [i, n] of NAMES.entries()) {
    expect(await client.isEnabled('SPECIAL', own([[n, i]])), `${where} ${n} = ${i}`).to.equal(
      n !== 'hasOwnProperty' || [0, 4].includes(i),
    );
    expect(await client.isEnabled('SPECIAL', own([[n, i + 100]])), `${where} ${n} != ${i}`).to.equal(false);
  }
  const why = await client.explain('SPECIAL', own([['__proto__', 7]]));
  expect(why.reason, where).to.equal('CONDITION_FAILED');
  expect(why.condition?.variable, where).to.equal('__proto__');

  // A whitelist of these names hashes them like any other key.
  const kept = (await client.getMeta('SPECIAL')).conditions;
  await client.setConditions('SPECIAL', []);
  await client.setBucketer(
    'SPECIAL',
    new ConsistentHashPercentageBucketer({
      keyWhitelist: ['__proto__', 'hasOwnProperty'],
      percentage: new Percentage(0.5),
    }),
  );
  const bucketer = (await client.getMeta('SPECIAL')).bucketer as ConsistentHashPercentageBucketer;
  expect(bucketer.keyWhitelist, where).to.deep.equal(['__proto__', 'hasOwnProperty']);
  const checks = own([
    ['__proto__', 'u-1'],
    ['other', 1],
  ]);
  expect(await client.isEnabled('SPECIAL', checks), where).to.equal(bucketer.score(checks) <= 0.5);
  expect(bucketer.score(checks), where).to.not.equal(bucketer.score(own([['other', 1]])));

  await client.setConditions('SPECIAL', kept);
  // The stored JSON keeps every name, and reads back the same.
  const item = (await store.get('SPECIAL'))!;
  const again = deserializeItem(serializeItem(item));
  expect(
    again.meta.conditions.map((c) => c.toJSON()),
    where,
  ).to.deep.equal(item.meta.conditions.map((c) => c.toJSON()));
  expect(serializeItem(again)).to.equal(serializeItem(item));
}

describe('no key is special: __proto__, constructor, hasOwnProperty... are ordinary names', function () {
  it('in client data, conditions, checks, whitelists, explain and events (memory store)', async function () {
    await exerciseSpecialKeys(new MemoryFeatureFlagStore(), 'memory');
  });

  it('over a real flag server, through our own connection', async function () {
    const served: Served = await serve(new MemoryFeatureFlagStore());
    try {
      await exerciseSpecialKeys(served.rpc, 'rpc');
      // What the server holds is the same as what the client sees.
      const held = (await served.backend.get('SPECIAL'))!;
      expect(held.meta.conditions.map((c) => c.variables.length)).to.deep.equal([NAMES.length, 2]);
    } finally {
      await served.close();
    }
  });

  it("over a real flag server, through npm thrift's generated client (whose writer calls map.hasOwnProperty)", async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const thrift = require('thrift') as {
      createConnection(
        host: string,
        port: number,
        options: object,
      ): { on(e: string, f: () => void): void; end(): void };
      createClient(service: unknown, connection: unknown): unknown;
      TBufferedTransport: unknown;
      TBinaryProtocol: unknown;
    };
    const served: Served = await serve(new MemoryFeatureFlagStore());
    const connection = thrift.createConnection('127.0.0.1', served.port, {
      transport: thrift.TBufferedTransport,
      protocol: thrift.TBinaryProtocol,
    });
    connection.on('error', () => {});
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const generated = thrift.createClient(require('../gen-nodejs/FeatureFlagStore'), connection);
      await exerciseSpecialKeys(new ThriftRPCFeatureFlagStore(generated as never), 'generated client');
    } finally {
      connection.end();
      await served.close();
    }
  });
});
