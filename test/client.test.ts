import { expect } from 'chai';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  FeatureFlag,
  FeatureFlagClient,
  FeatureFlagStoreMeta,
  FlagDoesNotExistError,
  InvalidArgumentError,
  InvalidFlagNameError,
  MemoryFeatureFlagStore,
  NoOpBucketer,
  Percentage,
  PercentageBucketer,
} from '../client';
import { BrokenStore, recordingLogger } from './helpers/broken-store';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('FeatureFlagClient', function () {
  let client: FeatureFlagClient;
  let logger: ReturnType<typeof recordingLogger>;

  beforeEach(function () {
    logger = recordingLogger();
    client = new FeatureFlagClient(new MemoryFeatureFlagStore({ clock: () => 1_700_000_000.5 }), { logger });
  });

  it('create makes a flag, off by default, and returns its handle', async function () {
    const flag = await client.create('MY_FEATURE');
    expect(flag).to.be.instanceOf(FeatureFlag);
    expect(flag.name).to.equal('MY_FEATURE');
    expect(await client.isEnabled('MY_FEATURE')).to.equal(false);
    await client.create('ON', { isEnabled: true, clientData: { owner: 'me' } });
    expect(await client.isEnabled('ON')).to.equal(true);
    expect(await client.getClientData('ON')).to.deep.equal({ owner: 'me' });
  });

  it('create refuses an empty or too long name and client data that is not an object', async function () {
    expect(await rejection(client.create(''))).to.be.instanceOf(InvalidFlagNameError);
    expect(await rejection(client.create('x'.repeat(256)))).to.be.instanceOf(InvalidFlagNameError);
    expect(await rejection(client.create('ok', { clientData: [] as never }))).to.be.instanceOf(InvalidArgumentError);
    expect(await client.exists('ok')).to.equal(false);
  });

  it('exists, enable, disable, destroy', async function () {
    expect(await client.exists('F')).to.equal(false);
    await client.create('F');
    expect(await client.exists('F')).to.equal(true);
    await client.enable('F');
    expect(await client.isEnabled('F')).to.equal(true);
    await client.disable('F');
    expect(await client.isEnabled('F')).to.equal(false);
    await client.destroy('F');
    expect(await client.exists('F')).to.equal(false);
    expect(await client.isEnabled('F')).to.equal(false);
  });

  it('get returns a handle without touching the store', async function () {
    const flag = client.get('NOT_YET');
    expect(flag.name).to.equal('NOT_YET');
    expect(await client.exists('NOT_YET')).to.equal(false);
  });

  it('changing a flag that does not exist throws FlagDoesNotExistError', async function () {
    const calls: Array<() => Promise<unknown>> = [
      () => client.enable('NOPE'),
      () => client.disable('NOPE'),
      () => client.destroy('NOPE'),
      () => client.setClientData('NOPE', { a: 1 }),
      () => client.getClientData('NOPE'),
      () => client.getMeta('NOPE'),
      () => client.addCondition('NOPE', new Condition({ a: 1 })),
      () => client.setConditions('NOPE', []),
      () => client.setBucketer('NOPE', new NoOpBucketer()),
    ];
    for (const call of calls) {
      const error = await rejection(call());
      expect(error).to.be.instanceOf(FlagDoesNotExistError);
      expect((error as FlagDoesNotExistError).featureName).to.equal('NOPE');
      expect((error as FlagDoesNotExistError).code).to.equal('FLAG_DOES_NOT_EXIST');
    }
    expect(await client.exists('NOPE')).to.equal(false);
  });

  it('list yields handles in name order with limit and offset', async function () {
    for (const name of ['c', 'a', 'b', 'd']) await client.create(name);
    const names = async (opts?: { limit?: number; offset?: number }) => {
      const out: string[] = [];
      for await (const flag of client.list(opts)) out.push(flag.name);
      return out;
    };
    expect(await names()).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(await names({ limit: 2 })).to.deep.equal(['a', 'b']);
    expect(await names({ limit: 2, offset: 1 })).to.deep.equal(['b', 'c']);
    expect(await names({ offset: 3 })).to.deep.equal(['d']);
    expect(await rejection(names({ limit: -1 }))).to.be.instanceOf(InvalidArgumentError);
  });

  it('setClientData merges into what is there', async function () {
    await client.create('F', { clientData: { a: 1, b: 2 } });
    await client.setClientData('F', { b: 3, ttl: 3600 });
    expect(await client.getClientData('F')).to.deep.equal({ a: 1, b: 3, ttl: 3600 });
    const copy = await client.getClientData('F');
    copy.a = 99;
    expect((await client.getClientData('F')).a).to.equal(1);
  });

  it('getMeta gives createdDate in Unix seconds, client data, conditions and bucketer', async function () {
    await client.create('F', { clientData: { x: 1 } });
    const condition = new Condition({ is_admin: true });
    const bucketer = new PercentageBucketer({ percentage: new Percentage(0.1) });
    await client.addCondition('F', condition);
    await client.setBucketer('F', bucketer);
    const meta = await client.getMeta('F');
    expect(meta).to.be.instanceOf(FeatureFlagStoreMeta);
    expect(meta.createdDate).to.equal(1_700_000_000);
    expect(meta.clientData).to.deep.equal({ x: 1 });
    expect(meta.conditions).to.deep.equal([condition]);
    expect(meta.bucketer).to.equal(bucketer);
    expect(JSON.parse(JSON.stringify(meta))).to.deep.equal({
      client_data: { x: 1 },
      created_date: 1_700_000_000,
      conditions: [{ is_admin: [{ variable: 'is_admin', value: true, operator: null }] }],
      bucketer: { type: 'PercentageBucketer', percentage: { type: 'Percentage', value: 0.1 } },
    });
  });

  it('addCondition appends and setConditions replaces', async function () {
    await client.create('F', { isEnabled: true });
    await client.addCondition('F', new Condition({ a: 1 }));
    await client.addCondition('F', new Condition({ b: 2 }));
    expect((await client.getMeta('F')).conditions).to.have.length(2);
    await client.setConditions('F', [new Condition({ c: 3 })]);
    const meta = await client.getMeta('F');
    expect(meta.conditions.map((c) => c.toJSON())).to.deep.equal([new Condition({ c: 3 }).toJSON()]);
    expect(await rejection(client.setConditions('F', [{} as Condition]))).to.be.instanceOf(InvalidArgumentError);
  });

  it('setBucketer refuses something that is not a bucketer', async function () {
    await client.create('F');
    expect(await rejection(client.setBucketer('F', {} as never))).to.be.instanceOf(InvalidArgumentError);
  });

  it('a FeatureFlag handle has the same methods for its own name', async function () {
    const flag = await client.create('F');
    await flag.enable();
    expect(await flag.isEnabled()).to.equal(true);
    expect(await flag.exists()).to.equal(true);
    await flag.setClientData({ a: 1 });
    expect(await flag.getClientData()).to.deep.equal({ a: 1 });
    await flag.addCondition(new Condition({ is_admin: true }));
    expect(await flag.isEnabled({ is_admin: false })).to.equal(false);
    await flag.setConditions([]);
    expect(await flag.isEnabled({ is_admin: false })).to.equal(true);
    await flag.setBucketer(new PercentageBucketer({ percentage: new Percentage(0) }));
    expect(await flag.isEnabled()).to.equal(false);
    expect((await flag.explain()).reason).to.equal('BUCKETER');
    expect((await flag.getMeta()).bucketer.type).to.equal('PercentageBucketer');
    await flag.disable();
    expect(await flag.isEnabled()).to.equal(false);
    await flag.destroy();
    expect(await flag.exists()).to.equal(false);
  });
});

describe('isEnabled precedence: conditions, then the bucketer', function () {
  let client: FeatureFlagClient;

  beforeEach(async function () {
    client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    const flag = await client.create('F', { isEnabled: true });
    await flag.addCondition(new Condition({ is_admin: true }));
    await flag.setBucketer(
      new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
    );
  });

  it('a missing flag gives the default (false unless given)', async function () {
    expect(await client.isEnabled('MISSING')).to.equal(false);
    expect(await client.isEnabled('MISSING', {}, { default: true })).to.equal(true);
  });

  it('a disabled flag is false whatever the checks', async function () {
    await client.disable('F');
    expect(await client.isEnabled('F', { is_admin: true })).to.equal(false);
    expect(await client.isEnabled('F', { is_admin: true }, { default: true })).to.equal(false);
  });

  it('a failing condition on a passed key makes it false whatever the bucketer says', async function () {
    expect(await client.isEnabled('F', { user_id: 1, is_admin: false })).to.equal(false);
  });

  it('conditions that all hold make it true whatever the bucketer says', async function () {
    expect(await client.isEnabled('F', { user_id: 2, is_admin: true })).to.equal(true);
  });

  it('with no passed key checked by a condition, the bucketer decides', async function () {
    expect(await client.isEnabled('F', { user_id: 1 })).to.equal(true);
    expect(await client.isEnabled('F', { user_id: 2 })).to.equal(false);
    expect(await client.isEnabled('F', { user_id: 2, unrelated: 'x' })).to.equal(false);
  });

  it('with no checks at all, the bucketer decides (here on the empty list, score 0.32)', async function () {
    expect(await client.isEnabled('F')).to.equal(true);
    await client.setBucketer('F', new ConsistentHashPercentageBucketer({ percentage: new Percentage(0.3) }));
    expect(await client.isEnabled('F')).to.equal(false);
  });

  it('treats a check whose value is undefined as not passed', async function () {
    expect(await client.isEnabled('F', { user_id: 1, is_admin: undefined })).to.equal(true);
  });

  it('every condition must hold: checks on the same key across conditions', async function () {
    await client.setConditions('F', [new Condition({ age__gte: 18 }), new Condition({ age__lt: 65 })]);
    expect(await client.isEnabled('F', { age: 30 })).to.equal(true);
    expect(await client.isEnabled('F', { age: 70 })).to.equal(false);
    expect(await client.isEnabled('F', { age: 'thirty' })).to.equal(false);
  });
});

describe('isEnabled never throws', function () {
  it('returns the default when the store fails, and logs once per change', async function () {
    const store = new BrokenStore();
    const logger = recordingLogger();
    const client = new FeatureFlagClient(store, { logger });
    await client.create('F', { isEnabled: true });
    store.failReads = true;
    expect(await client.isEnabled('F')).to.equal(false);
    expect(await client.isEnabled('F', {}, { default: true })).to.equal(true);
    expect(logger.lines.filter((l) => l.level === 'warn')).to.have.length(1);
    store.failReads = false;
    expect(await client.isEnabled('F')).to.equal(true);
    expect(logger.lines.filter((l) => l.level === 'info')).to.have.length(1);
  });

  it('returns the default for a stored flag that does not parse, other flags unaffected', async function () {
    const store = new BrokenStore();
    const client = new FeatureFlagClient(store, { logger: recordingLogger() });
    await client.create('GOOD', { isEnabled: true });
    const bad = [
      '{not json',
      '[]',
      '{"feature_name": 7, "is_enabled": true}',
      '{"feature_name": "BAD", "is_enabled": true, "meta": []}',
      '{"feature_name": "BAD", "is_enabled": true, "meta": {"bucketer": {"type": "Nope"}}}',
      '{"feature_name": "BAD", "is_enabled": true, "meta": {"conditions": [{"a": [{"variable": "a", "value": 1, "operator": "regex"}]}]}}',
      '{"feature_name": "BAD", "is_enabled": true, "meta": {"client_data": 5}}',
    ];
    for (const raw of bad) {
      store.rawOverrides.set('BAD', raw);
      expect(await client.isEnabled('BAD', {}, { default: true }), raw).to.equal(true);
      const why = await client.explain('BAD');
      expect(why.reason, raw).to.equal('ERROR');
      expect(why.error?.code, raw).to.equal('INVALID_ITEM');
    }
    expect(await client.isEnabled('GOOD')).to.equal(true);
  });

  it('returns the default when checks cannot be hashed (a function value)', async function () {
    const client = new FeatureFlagClient(new MemoryFeatureFlagStore(), { logger: recordingLogger() });
    await client.create('F', { isEnabled: true });
    await client.setBucketer('F', new ConsistentHashPercentageBucketer({ percentage: new Percentage(0.5) }));
    const checks = { user: [() => 1] } as never;
    expect(await client.isEnabled('F', checks, { default: true })).to.equal(true);
  });
});

describe('explain', function () {
  let client: FeatureFlagClient;

  beforeEach(async function () {
    client = new FeatureFlagClient(new MemoryFeatureFlagStore());
    const flag = await client.create('F', { isEnabled: true });
    await flag.addCondition(new Condition({ is_admin: true, age__gte: 18 }));
    await flag.setBucketer(
      new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
    );
  });

  it('says there is no such flag', async function () {
    expect(await client.explain('NOPE', {}, { default: true })).to.deep.equal({
      featureName: 'NOPE',
      value: true,
      reason: 'FLAG_NOT_FOUND',
    });
  });

  it('says the flag is disabled', async function () {
    await client.disable('F');
    expect((await client.explain('F')).reason).to.equal('DISABLED');
  });

  it('names the condition that failed', async function () {
    const why = await client.explain('F', { user_id: 1, age: 12 });
    expect(why).to.deep.equal({
      featureName: 'F',
      value: false,
      reason: 'CONDITION_FAILED',
      condition: { index: 0, variable: 'age', operator: 'gte', expected: 18, actual: 12 },
    });
  });

  it('says the conditions held', async function () {
    const why = await client.explain('F', { user_id: 2, is_admin: true });
    expect(why.value).to.equal(true);
    expect(why.reason).to.equal('CONDITIONS_HELD');
  });

  it('gives the bucketer, its score and percentage', async function () {
    expect(await client.explain('F', { user_id: 2 })).to.deep.equal({
      featureName: 'F',
      value: false,
      reason: 'BUCKETER',
      bucketer: { type: 'ConsistentHashPercentageBucketer', score: 0.94, percentage: 0.5 },
    });
  });

  it('always agrees with isEnabled', async function () {
    const checksList = [{}, { user_id: 1 }, { user_id: 2 }, { is_admin: false }, { age: 30, user_id: 2 }, { age: 'x' }];
    for (const checks of checksList) {
      expect((await client.explain('F', checks)).value, JSON.stringify(checks)).to.equal(
        await client.isEnabled('F', checks),
      );
    }
  });
});
