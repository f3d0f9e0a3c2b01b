import { expect } from 'chai';
import { describeChange } from '../client';

const flag = (fields: { enabled?: unknown; data?: string; conditions?: string; bucketer?: string; created?: string }) =>
  `{"feature_name": "f", "is_enabled": ${JSON.stringify(fields.enabled ?? false)}, "meta": {"client_data": ${fields.data ?? '{}'}, ` +
  `"created_date": ${fields.created ?? '1700000000'}, "conditions": ${fields.conditions ?? '[]'}, ` +
  `"bucketer": ${fields.bucketer ?? '{"type": "NoOpBucketer"}'}}}`;

const texts = (before: string | undefined, after: string | undefined, beforeUnknown = false) =>
  describeChange({ before, after, beforeUnknown }).map((line) => line.text);

// What the CLI's and the console's history show for each kind of change.
describe('history diffs: a change as readable lines', () => {
  it('created, first recorded and deleted flags', () => {
    expect(texts(undefined, flag({ enabled: true, data: '{"team": "web"}' }))).to.deep.equal([
      'created: on, client_data {"team": "web"}',
    ]);
    expect(texts(undefined, flag({}), true)).to.deep.equal(['first recorded: off']);
    expect(texts(flag({}), undefined)).to.deep.equal(['deleted']);
  });

  it('state, client data keys, conditions, bucketer and created date, each on its own line', () => {
    const before = flag({
      data: '{"plan": "free", "old": 1, "n": NaN}',
      conditions: '[{"user_id": [{"variable": "user_id", "value": [1, 2], "operator": "in"}]}]',
    });
    const after = flag({
      enabled: true,
      data: '{"plan": "pro", "n": NaN, "big": 9223372036854775807}',
      conditions: '[{"is_admin": [{"variable": "is_admin", "value": true, "operator": null}]}]',
      bucketer:
        '{"type": "ConsistentHashPercentageBucketer", "key_whitelist": ["user_id"], "percentage": {"type": "Percentage", "value": 0.25}}',
      created: '1700000001',
    });
    expect(texts(before, after)).to.deep.equal([
      'state: off → on',
      'client_data.big: added 9223372036854775807',
      'client_data.old: removed (was 1)',
      'client_data.plan: "free" → "pro"',
      'condition removed: user_id in [1, 2]',
      'condition added: is_admin == true',
      'bucketer: none → consistent 25% on user_id',
      'created_date: 1700000000 → 1700000001',
    ]);
    const [state] = describeChange({ before, after });
    expect(state).to.deep.include({ field: 'state', change: 'changed', before: 'off', after: 'on' });
  });

  it('a linear ramp, reordered conditions (no change), and text that does not parse', () => {
    const ramp =
      '{"type": "PercentageBucketer", "percentage": {"type": "LinearRampPercentage", "initial_value": 0.0, ' +
      '"final_value": 1.0, "ramp_duration": 7200, "initial_time": 1700000000}}';
    expect(texts(flag({}), flag({ bucketer: ramp }))).to.deep.equal([
      'bucketer: none → ramp 0% → 100% over 7200 s from 1700000000',
    ]);
    const a = '{"a": [{"variable": "a", "value": 1, "operator": "gt"}]}';
    const b = '{"b": [{"variable": "b", "value": "x", "operator": "ne"}]}';
    expect(texts(flag({ conditions: `[${a}, ${b}]` }), flag({ conditions: `[${b}, ${a}]` }))).to.deep.equal([
      'conditions: reordered (what they match is unchanged)',
    ]);
    expect(texts('{not json', flag({}))).to.deep.equal(['stored JSON changed']);
  });

  it('names are data: a client data key __proto__ is an ordinary key', () => {
    expect(texts(flag({ data: '{"__proto__": 1}' }), flag({ data: '{"__proto__": 2}' }))).to.deep.equal([
      'client_data.__proto__: 1 → 2',
    ]);
  });
});
