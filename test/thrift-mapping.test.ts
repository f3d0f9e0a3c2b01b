import { expect } from 'chai';
import {
  Condition,
  FlagDoesNotExistError,
  InvalidArgumentError,
  InvalidBucketerError,
  InvalidConditionError,
  InvalidFlagNameError,
  InvalidItemError,
  InvalidPercentageError,
  StoreError,
  deserializeItem,
  evaluate,
  FeatureFlagStoreItem,
  FeatureFlagStoreMeta,
} from '../shared';
import {
  bucketerFromThrift,
  clientDataFromThrift,
  conditionsFromThrift,
  errorFromThrift,
  errorToThrift,
  flagNameFromThrift,
  itemFromThrift,
  itemToThrift,
  metaFieldsFromThrift,
  pageFromThrift,
  thriftTypes,
  type ThriftCondition,
} from '../shared/thrift/mapping';
import { pythonItems } from './helpers/fixtures';

const t = thriftTypes();

/** A check as the Python client sends it: `json.dumps` of the value, operator struct always present. */
function pyCheck(variable: string, value: unknown, symbol?: string) {
  return new t.ConditionCheck({
    variable,
    value: JSON.stringify(value),
    operator: new t.ConditionOperator({ symbol }),
  });
}

/** A map as the generated reader builds it (`obj[key] = value`), where "__proto__" replaces the prototype. */
function generatedReaderMap(key: string, value: unknown): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  // eslint-disable-next-line local/no-data-key-assignment -- imitates the generated reader on purpose
  map[key] = value;
  return map;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('Thrift mapping: model to wire', function () {
  it('sets every field of a reply, an operator struct on equality checks included (Python reads them unchecked)', function () {
    const item = new FeatureFlagStoreItem(
      'f',
      false,
      new FeatureFlagStoreMeta({
        createdDate: 1_600_000_000,
        conditions: [new Condition({ is_admin: true, age__gte: 3 })],
      }),
    );
    const wire = itemToThrift(item);
    expect(wire.feature_name).to.equal('f');
    expect(wire.is_enabled).to.equal(false);
    const meta = wire.meta!;
    expect(Number(String(meta.created_date))).to.equal(1_600_000_000);
    expect(meta.client_data).to.equal('{}');
    expect(JSON.parse(meta.bucketer!)).to.deep.equal({ type: 'NoOpBucketer' });
    const condition = meta.conditions![0] as ThriftCondition;
    expect(condition.is_admin[0].operator).to.be.instanceOf(t.ConditionOperator);
    expect(condition.is_admin[0].operator!.symbol ?? null).to.equal(null);
    expect(condition.age[0].operator!.symbol).to.equal('gte');
    expect(condition.age[0].value).to.equal('3');
  });

  it('every Python-made flag survives model -> wire -> model and evaluates as before', function () {
    for (const fixture of pythonItems()) {
      const item = deserializeItem(fixture.stored_json, { random: () => 0.5 });
      const back = itemFromThrift(itemToThrift(item), { random: () => 0.5 });
      expect(back.toJSON()).to.deep.equal(item.toJSON());
      for (const call of fixture.evaluations) {
        expect(evaluate(back, call.checks), `${item.featureName} ${JSON.stringify(call.checks)}`).to.equal(
          evaluate(item, call.checks),
        );
      }
    }
  });

  it('keeps a variable named __proto__ as an ordinary key', function () {
    const condition = new Condition({ __proto__: 1 } as never);
    const wire = itemToThrift(
      new FeatureFlagStoreItem('f', true, new FeatureFlagStoreMeta({ createdDate: 0, conditions: [condition] })),
    );
    expect(Object.keys(wire.meta!.conditions![0])).to.deep.equal(Object.keys(condition.toJSON()));
  });
});

describe('Thrift mapping: wire to model', function () {
  it('reads conditions sent one check per map (as the Python client does) and evaluates them as one condition', function () {
    const pythonStyle = conditionsFromThrift([
      { age: [pyCheck('age', 18, 'gte')] },
      { age: [pyCheck('age', 65, 'lt')] },
      { plan: [pyCheck('plan', ['pro', 'team'], 'in')] },
      { is_admin: [pyCheck('is_admin', true)] },
    ]);
    const grouped = [new Condition({ age__gte: 18, age__lt: 65, plan__in: ['pro', 'team'], is_admin: true })];
    const asItem = (conditions: Condition[]) =>
      new FeatureFlagStoreItem('f', true, new FeatureFlagStoreMeta({ createdDate: 0, conditions }));
    const cases = [
      {},
      { age: 30 },
      { age: 10 },
      { age: 70 },
      { plan: 'pro' },
      { plan: 'free' },
      { is_admin: true },
      { is_admin: false, age: 30 },
      { age: 30, plan: 'team', is_admin: true },
      { other: 1 },
    ];
    for (const checks of cases) {
      expect(evaluate(asItem(pythonStyle), checks), JSON.stringify(checks)).to.equal(evaluate(asItem(grouped), checks));
    }
  });

  it('takes back a variable named __proto__ that the generated reader turned into the prototype', function () {
    const [condition] = conditionsFromThrift([generatedReaderMap('__proto__', [pyCheck('__proto__', 1)])]);
    expect(condition.variables).to.deep.equal(['__proto__']);
    expect(condition.check(JSON.parse('{"__proto__": 1}'))).to.equal(true);
    expect(condition.check(JSON.parse('{"__proto__": 2}'))).to.equal(false);
  });

  it('uses the map key when a check has no variable, and equality when it has no operator', function () {
    const [condition] = conditionsFromThrift([{ x: [new t.ConditionCheck({ value: '1' })] }]);
    expect(condition.toJSON()).to.deep.equal({ x: [{ variable: 'x', value: 1, operator: null }] });
  });

  it('refuses an unknown operator, a value that is not JSON, a missing value and a non-list `in`, naming each', function () {
    const cases: Array<[unknown, RegExp]> = [
      [[{ a: [pyCheck('a', 1, 'like')] }], /Unknown condition operator "like"/],
      [[{ a: [new t.ConditionCheck({ variable: 'a', value: 'nope' })] }], /condition value for "a" is not valid JSON/],
      [[{ a: [new t.ConditionCheck({ variable: 'a' })] }], /condition check on "a" has no value/],
      [[{ a: [pyCheck('a', 'pro', 'in')] }], /needs a list/],
      [[{ a: 'x' }], /must be a list/],
      [['x'], /conditions\[0\] must be a map/],
    ];
    for (const [input, message] of cases) {
      const error = thrown(() => conditionsFromThrift(input));
      expect(error, String(message)).to.be.instanceOf(InvalidConditionError);
      expect((error as Error).message).to.match(message);
    }
  });

  it('refuses a bucketer that is not JSON, of an unknown type, or with an unknown percentage type', function () {
    const cases: Array<[string, new (...a: never[]) => Error, RegExp]> = [
      ['{nope', InvalidBucketerError, /bucketer is not valid JSON/],
      ['{"type": "RandomBucketer"}', InvalidBucketerError, /Unknown bucketer type "RandomBucketer"/],
      [
        '{"type": "PercentageBucketer", "percentage": {"type": "Weird"}}',
        InvalidPercentageError,
        /Unknown percentage type "Weird"/,
      ],
    ];
    for (const [text, type, message] of cases) {
      const error = thrown(() => bucketerFromThrift(text));
      expect(error, text).to.be.instanceOf(type);
      expect((error as Error).message).to.match(message);
    }
    expect(bucketerFromThrift(null).toJSON()).to.deep.equal({ type: 'NoOpBucketer' });
  });

  it('client_data: absent is {}; not JSON, not an object, over 64 KiB or nested past 64 levels is refused', function () {
    expect(clientDataFromThrift(null)).to.deep.equal({});
    expect(clientDataFromThrift('{"a": [1, {"b": null}]}')).to.deep.equal({ a: [1, { b: null }] });
    const cases: Array<[string, RegExp]> = [
      ['{oops', /client_data is not valid JSON/],
      ['[1, 2]', /client_data must be a JSON object, got a list/],
      ['"text"', /got a string/],
      [`{"a": "${'x'.repeat(64 * 1024)}"}`, /over the 65536-byte limit/],
      [`{"a": ${'['.repeat(100)}${']'.repeat(100)}}`, /nests deeper than 64 levels/],
    ];
    for (const [text, message] of cases) {
      const error = thrown(() => clientDataFromThrift(text));
      expect(error, message.source).to.be.instanceOf(InvalidArgumentError);
      expect((error as Error).message).to.match(message);
    }
  });

  it('feature_name: absent, empty or over 255 characters is refused, naming the problem', function () {
    expect(thrown(() => flagNameFromThrift(null)))
      .to.be.instanceOf(InvalidArgumentError)
      .with.property('message')
      .match(/feature_name is required/);
    expect(thrown(() => flagNameFromThrift('')))
      .to.be.instanceOf(InvalidFlagNameError)
      .with.property('message')
      .match(/empty/);
    expect(thrown(() => flagNameFromThrift('x'.repeat(256))))
      .to.be.instanceOf(InvalidFlagNameError)
      .with.property('message')
      .match(/255/);
    expect(flagNameFromThrift('x'.repeat(255))).to.have.length(255);
  });

  it('List: absent limit is all, absent offset 0, negative ones refused, huge ones clamped', function () {
    expect(pageFromThrift(null, null)).to.deep.equal({ offset: 0 });
    expect(pageFromThrift(5, 2)).to.deep.equal({ limit: 5, offset: 2 });
    expect(pageFromThrift(2 ** 62, 2 ** 62)).to.deep.equal({ offset: Number.MAX_SAFE_INTEGER });
    expect(thrown(() => pageFromThrift(-1, null)))
      .to.be.instanceOf(InvalidArgumentError)
      .with.property('message')
      .match(/limit/);
    expect(thrown(() => pageFromThrift(null, -3)))
      .to.be.instanceOf(InvalidArgumentError)
      .with.property('message')
      .match(/offset/);
  });

  it('meta: leaves absent fields out, so the server can keep what is stored', function () {
    expect(metaFieldsFromThrift({ client_data: '{"a": 1}' })).to.deep.equal({ clientData: { a: 1 } });
    expect(Object.keys(metaFieldsFromThrift({}))).to.deep.equal([]);
  });

  it('a reply that does not parse is InvalidItemError naming the flag', function () {
    const error = thrown(() =>
      itemFromThrift({ feature_name: 'f', is_enabled: true, meta: new t.FeatureFlagStoreMeta({ bucketer: '{' }) }),
    );
    expect(error).to.be.instanceOf(InvalidItemError);
    expect((error as Error).message).to.match(/"f".*bucketer is not valid JSON/);
  });
});

describe('Thrift mapping: errors', function () {
  it('maps our errors to codes: missing flag NOT_FOUND, bad input INVALID_ARGUMENT, the rest INTERNAL', function () {
    expect(errorToThrift(new FlagDoesNotExistError('f')).code).to.equal(t.ErrorCode.NOT_FOUND);
    for (const error of [
      new InvalidArgumentError('x'),
      new InvalidFlagNameError('x'),
      new InvalidConditionError('x'),
      new InvalidBucketerError('x'),
      new InvalidPercentageError('x'),
    ]) {
      expect(errorToThrift(error).code, error.name).to.equal(t.ErrorCode.INVALID_ARGUMENT);
    }
    const internal = errorToThrift(new StoreError('disk full'));
    expect(internal.code).to.equal(t.ErrorCode.INTERNAL);
    expect(internal.message).to.match(/disk full/);
    expect(errorToThrift(new TypeError('bug')).code).to.equal(t.ErrorCode.INTERNAL);
  });

  it('maps server answers back to typed errors', function () {
    const fe = (code: number, message: string) => new t.FlipperException({ code, message });
    expect(errorFromThrift(fe(t.ErrorCode.NOT_FOUND, 'x'), 'f')).to.be.instanceOf(FlagDoesNotExistError);
    const invalid = errorFromThrift(fe(t.ErrorCode.INVALID_ARGUMENT, 'limit must be a non-negative integer'));
    expect(invalid)
      .to.be.instanceOf(InvalidArgumentError)
      .with.property('message', 'limit must be a non-negative integer');
    expect(errorFromThrift(fe(t.ErrorCode.INTERNAL, 'disk full'))).to.be.instanceOf(StoreError);
    expect(errorFromThrift('Get failed: unknown result')).to.be.instanceOf(StoreError);
  });
});
