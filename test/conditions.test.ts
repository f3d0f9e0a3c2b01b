import { expect } from 'chai';
import { Condition, InvalidConditionError } from '../client';

describe('Condition', function () {
  it('checks equality by default, numbers by value and booleans only against booleans', function () {
    const c = new Condition({ is_admin: true, n: 1 });
    expect(c.check({ is_admin: true })).to.equal(true);
    expect(c.check({ is_admin: false })).to.equal(false);
    expect(c.check({ is_admin: 1 })).to.equal(false);
    expect(c.check({ n: 1.0 })).to.equal(true);
    expect(c.check({ n: true })).to.equal(false);
  });

  it('supports gt gte lt lte on numbers', function () {
    const c = new Condition({ a__gt: 10, b__gte: 10, c__lt: 10, d__lte: 10 });
    expect(c.check({ a: 11 })).to.equal(true);
    expect(c.check({ a: 10 })).to.equal(false);
    expect(c.check({ b: 10 })).to.equal(true);
    expect(c.check({ b: 9.99 })).to.equal(false);
    expect(c.check({ c: 9 })).to.equal(true);
    expect(c.check({ c: 10 })).to.equal(false);
    expect(c.check({ d: 10 })).to.equal(true);
    expect(c.check({ d: 10.5 })).to.equal(false);
  });

  it('orders strings by code point', function () {
    expect(new Condition({ s__gt: 'b' }).check({ s: 'c' })).to.equal(true);
    expect(new Condition({ s__lt: 'b' }).check({ s: 'B' })).to.equal(true);
    // U+FF5A sorts below U+1F600 by code point although its UTF-16 unit is higher.
    expect(new Condition({ s__lt: '😀' }).check({ s: 'ｚ' })).to.equal(true);
  });

  it('is simply not satisfied by incomparable values, never an error', function () {
    const c = new Condition({ n__gt: 5 });
    for (const v of ['6', true, null, [6], { n: 6 }]) expect(c.check({ n: v }), JSON.stringify(v)).to.equal(false);
    expect(new Condition({ s__lte: 'x' }).check({ s: 1 })).to.equal(false);
  });

  it('supports ne, in and not_in with JSON equality', function () {
    expect(new Condition({ loc__ne: 'city' }).check({ loc: 'farm' })).to.equal(true);
    expect(new Condition({ loc__ne: 'city' }).check({ loc: 'city' })).to.equal(false);
    const c = new Condition({ plan__in: ['pro', 'team', 1, [1, 2]] });
    expect(c.check({ plan: 'pro' })).to.equal(true);
    expect(c.check({ plan: 1.0 })).to.equal(true);
    expect(c.check({ plan: [1, 2] })).to.equal(true);
    expect(c.check({ plan: 'free' })).to.equal(false);
    const n = new Condition({ country__not_in: ['XX', 'YY'] });
    expect(n.check({ country: 'FR' })).to.equal(true);
    expect(n.check({ country: 'XX' })).to.equal(false);
  });

  it('passes variables the caller did not pass, as in Python', function () {
    const c = new Condition({ is_admin: true });
    expect(c.check({})).to.equal(true);
    expect(c.check({ other: 1 })).to.equal(true);
  });

  it('refuses an unknown operator when built, naming it', function () {
    expect(() => new Condition({ age__between: [1, 2] })).to.throw(InvalidConditionError, /between/);
    expect(() => new Condition({ age__: 1 })).to.throw(InvalidConditionError);
    // Python splits at exactly one "__": "__gt" is `gt` on the variable "" (not an error).
    expect(new Condition({ __gt: 1 }).toJSON()).to.deep.equal({ '': [{ variable: '', value: 1, operator: 'gt' }] });
    expect(() => new Condition({ a___gt: 1 })).to.throw(InvalidConditionError, /"_gt"/);
  });

  it('refuses in / not_in with a value that is not a list', function () {
    expect(() => new Condition({ plan__in: 'pro' })).to.throw(InvalidConditionError, /list/);
    expect(() => new Condition({ plan__not_in: 1 })).to.throw(InvalidConditionError, /list/);
  });

  it('reads a stored in / not_in whose value is not a list as never satisfied', function () {
    const c = Condition.fromJSON({ plan: [{ variable: 'plan', value: 'pro', operator: 'in' }] });
    expect(c.check({ plan: 'pro' })).to.equal(false);
    const n = Condition.fromJSON({ plan: [{ variable: 'plan', value: 'pro', operator: 'not_in' }] });
    expect(n.check({ plan: 'free' })).to.equal(false);
  });

  it('refuses a stored unknown operator', function () {
    expect(() => Condition.fromJSON({ a: [{ variable: 'a', value: 1, operator: 'regex' }] })).to.throw(
      InvalidConditionError,
      /regex/,
    );
  });

  it('stores checks as the Python library does', function () {
    expect(new Condition({ age__gte: 18, age__lt: 65, is_admin: true }).toJSON()).to.deep.equal({
      age: [
        { variable: 'age', value: 18, operator: 'gte' },
        { variable: 'age', value: 65, operator: 'lt' },
      ],
      is_admin: [{ variable: 'is_admin', value: true, operator: null }],
    });
  });
});
