import { expect } from 'chai';
import {
  ConsistentHashPercentageBucketer,
  InvalidBucketerError,
  InvalidPercentageError,
  LinearRampPercentage,
  NoOpBucketer,
  Percentage,
  PercentageBucketer,
  bucketerFromJSON,
  percentageFromJSON,
} from '../client';

function fakeClock(start: number) {
  let now = start;
  const clock = () => now;
  clock.advance = (seconds: number) => {
    now += seconds;
  };
  return clock;
}

describe('percentages', function () {
  it('Percentage holds a fixed fraction', function () {
    expect(new Percentage(0.1).value).to.equal(0.1);
    expect(new Percentage().value).to.equal(1);
    expect(new Percentage(0.1).toJSON()).to.deep.equal({ type: 'Percentage', value: 0.1 });
    expect(() => new Percentage('0.5' as never)).to.throw(InvalidPercentageError);
    // As in Python, any number is a percentage (NaN and the infinities are stored by Python too).
    expect(Number.isNaN(new Percentage(NaN).value)).to.equal(true);
  });

  it('LinearRampPercentage ramps 0.2 -> 0.8 over 30 minutes as the Python code does: 0.2, 0.4, 0.6, 0.8', function () {
    const clock = fakeClock(1_700_000_000);
    const ramp = new LinearRampPercentage({ initialValue: 0.2, finalValue: 0.8, rampDuration: 1800, clock });
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(Math.round(ramp.value * 1000) / 1000);
      clock.advance(600);
    }
    expect(seen).to.deep.equal([0.2, 0.4, 0.6, 0.8]);
    clock.advance(6000);
    expect(ramp.value).to.equal(0.8);
    expect(ramp.initialTime).to.equal(1_700_000_000);
  });

  it('LinearRampPercentage with duration 0 is at its final value at once', function () {
    expect(new LinearRampPercentage({ initialValue: 0.9, finalValue: 0.1, rampDuration: 0 }).value).to.equal(0.1);
  });

  it('a decreasing ramp is at its final value from the start, as in Python', function () {
    const clock = fakeClock(100);
    expect(new LinearRampPercentage({ initialValue: 0.9, finalValue: 0.1, rampDuration: 60, clock }).value).to.equal(
      0.1,
    );
  });

  it('LinearRampPercentage has the Python defaults and stored form', function () {
    const ramp = new LinearRampPercentage({ clock: () => 1234.7 });
    expect(ramp.toJSON()).to.deep.equal({
      type: 'LinearRampPercentage',
      initial_value: 0,
      final_value: 1,
      ramp_duration: 3600,
      initial_time: 1234,
    });
  });

  it('are rebuilt from their stored form, and an unknown type is a clear error', function () {
    const clock = fakeClock(1500000000 + 900);
    const ramp = percentageFromJSON(
      { type: 'LinearRampPercentage', initial_value: 0, final_value: 1, ramp_duration: 1800, initial_time: 1500000000 },
      { clock },
    );
    expect(ramp.value).to.equal(0.5);
    expect(percentageFromJSON({ type: 'Percentage', value: 0.3 }).value).to.equal(0.3);
    expect(() => percentageFromJSON({ type: 'Exponential' })).to.throw(InvalidPercentageError, /Exponential/);
    expect(() => percentageFromJSON('x')).to.throw(InvalidPercentageError);
  });
});

describe('bucketers', function () {
  it('NoOpBucketer always says yes', function () {
    expect(new NoOpBucketer().check()).to.equal(true);
    expect(new NoOpBucketer().toJSON()).to.deep.equal({ type: 'NoOpBucketer' });
  });

  it('PercentageBucketer draws from the injected randomness: on when the draw is <= the percentage, as Python', function () {
    const draws = [0.05, 0.1, 0.5, 0.99];
    let i = 0;
    const bucketer = new PercentageBucketer({ percentage: new Percentage(0.1), random: () => draws[i++] });
    expect(draws.map(() => bucketer.check())).to.deep.equal([true, true, false, false]);
  });

  it('PercentageBucketer is off at 0% whatever the draw (Python checks 0 first), and never on at NaN', function () {
    for (const value of [0, -0, NaN, -Infinity]) {
      const bucketer = new PercentageBucketer({ percentage: new Percentage(value), random: () => 0 });
      expect(bucketer.check(), String(value)).to.equal(false);
    }
    expect(new PercentageBucketer({ percentage: new Percentage(Infinity), random: () => 0.99 }).check()).to.equal(true);
  });

  it('PercentageBucketer at 0% is never on and at 100% always on', function () {
    const zero = new PercentageBucketer({ percentage: new Percentage(0), random: () => 0 });
    const full = new PercentageBucketer({ percentage: new Percentage(1), random: () => 0.9999999 });
    expect(zero.check()).to.equal(false);
    expect(full.check()).to.equal(true);
  });

  it('PercentageBucketer accepts a bare percentage, as Python takes it positionally', function () {
    expect(new PercentageBucketer(new Percentage(0.5)).toJSON()).to.deep.equal({
      type: 'PercentageBucketer',
      percentage: { type: 'Percentage', value: 0.5 },
    });
  });

  it('ConsistentHashPercentageBucketer gives the same answer for the same checks', function () {
    const b = new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) });
    expect(b.check({ user_id: 1 })).to.equal(true);
    expect(b.check({ user_id: 2 })).to.equal(false);
    expect(b.check({ user_id: 1, number_of_horses_owned: 9001 })).to.equal(true);
    expect(new ConsistentHashPercentageBucketer({ percentage: new Percentage(0) }).check({ user_id: 1 })).to.equal(
      false,
    );
  });

  it('ConsistentHashPercentageBucketer follows a ramp', function () {
    let now = 1000;
    const percentage = new LinearRampPercentage({
      initialValue: 0,
      finalValue: 1,
      rampDuration: 100,
      clock: () => now,
    });
    const b = new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage });
    now = 1040; // 40%: user 1 (0.48) is out
    expect(b.check({ user_id: 1 })).to.equal(false);
    now = 1050; // 50%: user 1 is in
    expect(b.check({ user_id: 1 })).to.equal(true);
  });

  it('are rebuilt from their stored form, and an unknown type is a clear error', function () {
    const json = {
      type: 'ConsistentHashPercentageBucketer',
      percentage: { type: 'Percentage', value: 0.5 },
      key_whitelist: ['user_id'],
    };
    expect(bucketerFromJSON(json).toJSON()).to.deep.equal(json);
    expect(bucketerFromJSON({ type: 'NoOpBucketer' })).to.be.instanceOf(NoOpBucketer);
    const random = bucketerFromJSON(
      { type: 'PercentageBucketer', percentage: { type: 'Percentage', value: 0.5 } },
      {
        random: () => 0.2,
      },
    );
    expect(random.check()).to.equal(true);
    expect(() => bucketerFromJSON({ type: 'GeoBucketer' })).to.throw(InvalidBucketerError, /GeoBucketer/);
    expect(() => bucketerFromJSON({ type: 'ConsistentHashPercentageBucketer', key_whitelist: 'user_id' })).to.throw(
      InvalidBucketerError,
      /key_whitelist/,
    );
    expect(() => bucketerFromJSON(null)).to.throw(InvalidBucketerError);
  });
});
