// Every example of the Python library's README that the evaluation library covers, translated.
// The backend examples (Redis, Consul, S3, replicated, cached, Thrift) are tested with their stores.
import { expect } from 'chai';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  EventType,
  FeatureFlagClient,
  FlipperEventSubscriber,
  LinearRampPercentage,
  MemoryFeatureFlagStore,
  Percentage,
  PercentageBucketer,
  decorators,
  type BucketerEventArgs,
  type ClientData,
  type ConditionEventArgs,
  type CreateEventArgs,
} from '../client';

/** Randomness that walks 0.005, 0.015, ... 0.995 so "x% of calls" is exact. */
function sweep() {
  let i = 0;
  return () => ((i++ % 100) + 0.5) / 100;
}

async function share(check: () => Promise<boolean>): Promise<number> {
  let on = 0;
  for (let i = 0; i < 100; i++) if (await check()) on++;
  return on / 100;
}

describe('the Python README, translated', function () {
  let features: FeatureFlagClient;
  const MY_FEATURE = 'MY_FEATURE';

  beforeEach(function () {
    features = new FeatureFlagClient(new MemoryFeatureFlagStore());
  });

  it('Quickstart: create, enable, branch on isEnabled', async function () {
    await features.create(MY_FEATURE);
    await features.enable(MY_FEATURE);
    let ran: string;
    if (await features.isEnabled(MY_FEATURE)) ran = 'new';
    else ran = 'old';
    expect(ran).to.equal('new');
  });

  it('isEnabled with conditions', async function () {
    const FEATURE_IMPROVED_HORSE_SOUNDS = 'FEATURE_IMPROVED_HORSE_SOUNDS';
    await features.create(FEATURE_IMPROVED_HORSE_SOUNDS, { isEnabled: true });
    expect(await features.isEnabled(FEATURE_IMPROVED_HORSE_SOUNDS, { is_horse_lover: true })).to.equal(true);
  });

  it('exists, get, enable, disable, destroy, list, client data, meta', async function () {
    if (!(await features.exists(MY_FEATURE))) await features.create(MY_FEATURE);
    const flag = features.get(MY_FEATURE);
    expect(flag.name).to.equal(MY_FEATURE);
    await features.enable(MY_FEATURE);
    await features.disable(MY_FEATURE);
    const listed: Array<[string, boolean]> = [];
    for await (const feature of features.list({ limit: 100 })) listed.push([feature.name, await feature.isEnabled()]);
    expect(listed).to.deep.equal([[MY_FEATURE, false]]);
    await features.setClientData(MY_FEATURE, { ttl: 3600 });
    expect(await features.getClientData(MY_FEATURE)).to.deep.equal({ ttl: 3600 });
    expect((await features.getMeta(MY_FEATURE)).clientData).to.deep.equal({ ttl: 3600 });
    await features.destroy(MY_FEATURE);
    expect(await features.isEnabled(MY_FEATURE)).to.equal(false);
  });

  it('addCondition: is_administrator', async function () {
    await features.create(MY_FEATURE, { isEnabled: true });
    await features.addCondition(MY_FEATURE, new Condition({ is_administrator: true }));
    expect(await features.isEnabled(MY_FEATURE, { is_administrator: true })).to.equal(true);
    expect(await features.isEnabled(MY_FEATURE, { is_administrator: false })).to.equal(false);
    const flag = features.get(MY_FEATURE);
    expect(await flag.isEnabled({ is_administrator: true })).to.equal(true);
    expect(await flag.isEnabled({ is_administrator: false })).to.equal(false);
  });

  it('setBucketer: 10% of traffic', async function () {
    await features.create(MY_FEATURE, { isEnabled: true });
    const bucketer = new PercentageBucketer({ percentage: new Percentage(0.1), random: sweep() });
    await features.setBucketer(MY_FEATURE, bucketer);
    expect(await share(() => features.isEnabled(MY_FEATURE))).to.equal(0.1);
  });

  it('FeatureFlag with conditions: horse lovers with over 9000 horses outside the city', async function () {
    const flag = await features.create('FEATURE_IMPROVED_HORSE_SOUNDS');
    await flag.addCondition(new Condition({ is_horse_lover: true }));
    await flag.addCondition(new Condition({ number_of_horses_owned__gt: 9000, location__ne: 'city' }));
    await flag.enable();
    expect(await flag.isEnabled()).to.equal(true);
    expect(await flag.isEnabled({ is_horse_lover: true })).to.equal(true);
    expect(await flag.isEnabled({ is_horse_lover: true, number_of_horses_owned: 8000 })).to.equal(false);
    expect(await flag.isEnabled({ location: 'city' })).to.equal(false);
    expect(await flag.isEnabled({ is_horse_lover: true, horse_type__in: ['Stallion', 'Mare'] } as never)).to.equal(
      true,
    );
  });

  it('decorator: new horse sound or the old one', async function () {
    const FEATURE_IMPROVED_HORSE_SOUNDS = 'FEATURE_IMPROVED_HORSE_SOUNDS';
    await features.create(FEATURE_IMPROVED_HORSE_SOUNDS);
    const oldHorseSound = (_request: object) => 'Neigh';
    const newHorseSound = decorators.isEnabled(features, FEATURE_IMPROVED_HORSE_SOUNDS, {
      redirect: oldHorseSound,
    })((_request: object) => 'Whinny');
    expect(await newHorseSound({})).to.equal('Neigh');
    await features.enable(FEATURE_IMPROVED_HORSE_SOUNDS);
    expect(await newHorseSound({})).to.equal('Whinny');
  });

  it('random assignment: 50% of calls', async function () {
    const flag = await features.create('HOMEPAGE_AB_TEST');
    await flag.setBucketer(new PercentageBucketer({ percentage: new Percentage(0.5), random: sweep() }));
    await flag.enable();
    expect(await share(() => flag.isEnabled())).to.equal(0.5);
  });

  it('consistent assignment: user 1 always on (0.48), user 2 always off (0.94)', async function () {
    const flag = await features.create('HOMEPAGE_AB_TEST');
    await flag.setBucketer(
      new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
    );
    await flag.enable();
    for (let i = 0; i < 5; i++) {
      expect(await flag.isEnabled({ user_id: 1 })).to.equal(true);
      expect(await flag.isEnabled({ user_id: 2 })).to.equal(false);
    }
  });

  it('combining with conditions: 50% of traffic and all administrators', async function () {
    const flag = await features.create('HOMEPAGE_AB_TEST');
    await flag.enable();
    await flag.addCondition(new Condition({ is_admin: true }));
    await flag.setBucketer(
      new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
    );
    expect(await flag.isEnabled({ user_id: 2 })).to.equal(false);
    expect(await flag.isEnabled({ user_id: 2, is_admin: true })).to.equal(true);
    expect(await flag.isEnabled({ user_id: 1 })).to.equal(true);
    expect(await flag.isEnabled({ user_id: 1, is_admin: false })).to.equal(false);
  });

  it('key whitelists: only user_id is hashed', async function () {
    const flag = await features.create('HOMEPAGE_AB_TEST');
    await flag.enable();
    await flag.setBucketer(
      new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
    );
    expect(await flag.isEnabled({ user_id: 1, number_of_horses_owned: 9001 })).to.equal(true);
  });

  it('ramping 20% -> 80% over 30 minutes (the code gives 0.2, 0.4, 0.6, 0.8)', async function () {
    let now = 1_800_000_000;
    const flag = await features.create('HOMEPAGE_AB_TEST');
    await flag.setBucketer(
      new PercentageBucketer({
        percentage: new LinearRampPercentage({
          initialValue: 0.2,
          finalValue: 0.8,
          rampDuration: 1800,
          clock: () => now,
        }),
        random: sweep(),
      }),
    );
    await flag.enable();
    const shares: number[] = [];
    for (let step = 0; step < 4; step++) {
      shares.push(await share(() => flag.isEnabled()));
      now += 600;
    }
    expect(shares).to.deep.equal([0.2, 0.4, 0.6, 0.8]);
  });

  it('events: on(POST_CREATE) gets the name, isEnabled and clientData', async function () {
    const printed: unknown[] = [];
    features.events.on(EventType.POST_CREATE, (featureName, { isEnabled, clientData }) =>
      printed.push([featureName, isEnabled, clientData]),
    );
    await features.create('HOMEPAGE_AB_TEST', { isEnabled: true, clientData: { creator: 'adambom' } });
    expect(printed).to.deep.equal([['HOMEPAGE_AB_TEST', true, { creator: 'adambom' }]]);
  });

  it('subscribers: a logging subscriber', async function () {
    const logged: Array<[string, object]> = [];
    const logger = { info: (msg: string, extra: object) => logged.push([msg, extra]) };
    class LoggingEventSubscriber extends FlipperEventSubscriber {
      override onPostCreate(featureName: string, { isEnabled, clientData }: CreateEventArgs) {
        logger.info('flipper.create', { featureName, isEnabled, clientData });
      }
      override onPostEnable(featureName: string) {
        logger.info('flipper.enable', { featureName });
      }
      override onPostDisable(featureName: string) {
        logger.info('flipper.disable', { featureName });
      }
      override onPostDestroy(featureName: string) {
        logger.info('flipper.destroy', { featureName });
      }
      override onPostAddCondition(featureName: string, { condition }: ConditionEventArgs) {
        logger.info('flipper.add_condition', { featureName, condition: condition.toJSON() });
      }
      override onPostSetClientData(featureName: string, { clientData }: { clientData: ClientData }) {
        logger.info('flipper.set_client_data', { featureName, clientData });
      }
      override onPostSetBucketer(featureName: string, { bucketer }: BucketerEventArgs) {
        logger.info('flipper.set_bucketer', { featureName, bucketer: bucketer.toJSON() });
      }
    }
    features.events.registerSubscriber(new LoggingEventSubscriber());
    await features.create('F', { clientData: { a: 1 } });
    await features.enable('F');
    await features.addCondition('F', new Condition({ is_admin: true }));
    await features.setBucketer('F', new PercentageBucketer({ percentage: new Percentage(0.5) }));
    await features.setClientData('F', { b: 2 });
    await features.disable('F');
    await features.destroy('F');
    expect(logged.map(([msg]) => msg)).to.deep.equal([
      'flipper.create',
      'flipper.enable',
      'flipper.add_condition',
      'flipper.set_bucketer',
      'flipper.set_client_data',
      'flipper.disable',
      'flipper.destroy',
    ]);
    expect(logged[2][1]).to.deep.equal({
      featureName: 'F',
      condition: { is_admin: [{ variable: 'is_admin', value: true, operator: null }] },
    });
  });
});
