import type { Checks } from '../../shared';

/** One flag as the Python library stored it, and what its `is_enabled` answered for each call. */
export interface PythonItem {
  /** The JSON text Python's `FeatureFlagStoreItem.serialize()` wrote. */
  stored_json: string;
  evaluations: Array<{ checks: Checks; python_result: boolean; readme_result?: boolean }>;
}

/** The checks of the calls made on every flag, in order. */
const CALLS: readonly Checks[] = [
  {},
  { is_horse_lover: true },
  { is_horse_lover: false },
  { is_horse_lover: true, number_of_horses_owned: 8000 },
  { is_horse_lover: true, number_of_horses_owned: 9001, location: 'farm' },
  { location: 'city' },
  { age: 30, plan: 'pro', country: 'FR', score: 9.5 },
  { age: 17 },
  { age: 65 },
  { plan: 'free' },
  { country: 'XX' },
  { score: 9.6 },
  { is_admin: true },
  { is_admin: false },
  { is_admin: true, user_id: 2 },
  { user_id: 1 },
  { user_id: 2 },
  { user_id: 3 },
  { user_id: 4 },
  { user_id: 5 },
  { user_id: 17 },
  { user_id: 42 },
  { user_id: 1000 },
  { user_id: 'abc' },
  { user_id: 'user-7' },
  { user_id: 1, is_admin: false },
  { user_id: 4, is_admin: false },
];

/**
 * Per flag: the stored JSON, what Python's `is_enabled` answered for each of `CALLS` (T or F, in
 * order), and, by call index, the README's answer where the Python README and code disagree.
 */
const FLAGS: ReadonlyArray<{ stored_json: string; python: string; readme?: Record<number, boolean> }> = [
  {
    stored_json:
      '{"feature_name": "ADMINS_AND_HALF", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [{"is_admin": [{"variable": "is_admin", "value": true, "operator": null}]}], "bucketer": {"type": "ConsistentHashPercentageBucketer", "percentage": {"type": "Percentage", "value": 0.5}, "key_whitelist": ["user_id"]}}}',
    python: 'TTTTTTTTTTTTTFTTTTTTTTTTTFF',
    readme: { 16: false, 17: false, 18: false, 21: false, 24: false },
  },
  {
    stored_json:
      '{"feature_name": "HASH_50", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [], "bucketer": {"type": "ConsistentHashPercentageBucketer", "percentage": {"type": "Percentage", "value": 0.5}, "key_whitelist": ["user_id"]}}}',
    python: 'TTTTTTTTTTTTTTFTFFFTTFTTFTF',
  },
  {
    stored_json:
      '{"feature_name": "HASH_ALLKEYS_30", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [], "bucketer": {"type": "ConsistentHashPercentageBucketer", "percentage": {"type": "Percentage", "value": 0.3}, "key_whitelist": []}}}',
    python: 'FFFTTFTFFTTFFFFFFFFTFFFFFFF',
  },
  {
    stored_json:
      '{"feature_name": "HORSES", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [{"is_horse_lover": [{"variable": "is_horse_lover", "value": true, "operator": null}]}, {"number_of_horses_owned": [{"variable": "number_of_horses_owned", "value": 9000, "operator": "gt"}], "location": [{"variable": "location", "value": "city", "operator": "ne"}]}], "bucketer": {"type": "NoOpBucketer"}}}',
    python: 'TTFFTFTTTTTTTTTTTTTTTTTTTTT',
  },
  {
    stored_json:
      '{"feature_name": "OFF_WITH_RULES", "is_enabled": false, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [{"is_admin": [{"variable": "is_admin", "value": true, "operator": null}]}], "bucketer": {"type": "PercentageBucketer", "percentage": {"type": "Percentage", "value": 1.0}}}}',
    python: 'FFFFFFFFFFFFFFFFFFFFFFFFFFF',
  },
  {
    stored_json:
      '{"feature_name": "OPERATORS", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [{"age": [{"variable": "age", "value": 18, "operator": "gte"}, {"variable": "age", "value": 65, "operator": "lt"}], "score": [{"variable": "score", "value": 9.5, "operator": "lte"}], "plan": [{"variable": "plan", "value": ["pro", "team"], "operator": "in"}], "country": [{"variable": "country", "value": ["XX", "YY"], "operator": "not_in"}]}], "bucketer": {"type": "NoOpBucketer"}}}',
    python: 'TTTTTTTFFFFFTTTTTTTTTTTTTTT',
  },
  {
    stored_json:
      '{"feature_name": "PLAIN_OFF", "is_enabled": false, "meta": {"client_data": {"owner": "growth", "ttl": 3600}, "created_date": 1795566068, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}',
    python: 'FFFFFFFFFFFFFFFFFFFFFFFFFFF',
  },
  {
    stored_json:
      '{"feature_name": "PLAIN_ON", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [], "bucketer": {"type": "NoOpBucketer"}}}',
    python: 'TTTTTTTTTTTTTTTTTTTTTTTTTTT',
  },
  {
    stored_json:
      '{"feature_name": "RAMP_DONE", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [], "bucketer": {"type": "PercentageBucketer", "percentage": {"type": "LinearRampPercentage", "initial_value": 0.2, "final_value": 1.0, "ramp_duration": 1800, "initial_time": 1500000000}}}}',
    python: 'TTTTTTTTTTTTTTTTTTTTTTTTTTT',
  },
  {
    stored_json:
      '{"feature_name": "RAMP_HASH_DONE", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [], "bucketer": {"type": "ConsistentHashPercentageBucketer", "percentage": {"type": "LinearRampPercentage", "initial_value": 0.0, "final_value": 0.25, "ramp_duration": 60, "initial_time": 1500000000}, "key_whitelist": ["user_id"]}}}',
    python: 'FFFFFFFFFFFFFFFFFFFTFFFFFFF',
  },
  {
    stored_json:
      '{"feature_name": "RANDOM_0", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [], "bucketer": {"type": "PercentageBucketer", "percentage": {"type": "Percentage", "value": 0.0}}}}',
    python: 'FFFFFFFFFFFFFFFFFFFFFFFFFFF',
  },
  {
    stored_json:
      '{"feature_name": "RANDOM_100", "is_enabled": true, "meta": {"client_data": {}, "created_date": 1795566068, "conditions": [], "bucketer": {"type": "PercentageBucketer", "percentage": {"type": "Percentage", "value": 1.0}}}}',
    python: 'TTTTTTTTTTTTTTTTTTTTTTTTTTT',
  },
];

/**
 * Twelve flags and the 324 calls made on them, recorded with the Python library
 * (Python flipper-client MemoryFeatureFlagStore + FeatureFlagStoreItem.serialize()).
 * python_result is what the Python code returns. Where the Python README and code disagree
 * (checks passed, conditions exist, but no passed key is checked by any condition: the code
 * returns true and skips the bucketer; the README lets the bucketer decide), readme_result gives
 * the documented answer.
 *
 * Shipped with the conformance suite so it runs without the repository's test/ folder.
 */
export const PYTHON_ITEMS: readonly PythonItem[] = FLAGS.map((flag) => ({
  stored_json: flag.stored_json,
  evaluations: CALLS.map((checks, i) => {
    const readme = flag.readme?.[i];
    return {
      checks,
      python_result: flag.python[i] === 'T',
      ...(readme === undefined ? {} : { readme_result: readme }),
    };
  }),
}));
