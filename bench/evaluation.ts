import { createHash } from 'node:crypto';
import {
  Condition,
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  MemoryFeatureFlagStore,
  Percentage,
} from '../client';
import { compareCodePoints } from '../shared/json';
import { pythonJsonDumps } from '../shared/python-json';
import { opsPerSecond, opsPerSecondSync, report } from './harness';

/** The irreducible bucketing work, called synchronously: sort the checks, Python-style JSON, sha1, exact mod 100. */
function bareHashingPath(checks: Record<string, number>): number {
  const pairs = Object.keys(checks)
    .sort(compareCodePoints)
    .map((k) => [k, checks[k]]);
  const digest = createHash('sha1').update(pythonJsonDumps(pairs)).digest();
  let remainder = 0;
  for (let i = 0; i < digest.length; i++) remainder = (remainder * 256 + digest[i]) % 100;
  return remainder / 100;
}

/** isEnabled on the memory store, next to baselines measured in the same run. */
export async function runEvaluationBench(): Promise<void> {
  console.log('\n# isEnabled on MemoryFeatureFlagStore');
  const store = new MemoryFeatureFlagStore();
  const client = new FeatureFlagClient(store);
  await client.create('PLAIN', { isEnabled: true });
  await client.create('CONDITION', { isEnabled: true });
  await client.addCondition('CONDITION', new Condition({ is_admin: true }));
  await client.create('BUCKETED', { isEnabled: true });
  await client.setBucketer(
    'BUCKETED',
    new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'], percentage: new Percentage(0.5) }),
  );

  const map = new Map<string, boolean>([['PLAIN', true]]);
  const lookup = async (name: string) => map.get(name);
  const mapBaseline = await opsPerSecond(() => lookup('PLAIN'));
  const plain = await opsPerSecond(() => client.isEnabled('PLAIN'));
  report('isEnabled, plain flag', plain, mapBaseline, 'awaited async Map lookup', 2);

  const adminChecks = { is_admin: true };
  const condition = await opsPerSecond(() => client.isEnabled('CONDITION', adminChecks));
  report('isEnabled, one condition', condition, mapBaseline, 'awaited async Map lookup');

  const hashBaseline = opsPerSecondSync((i) => bareHashingPath({ user_id: i }));
  const bucketed = await opsPerSecond((i) => client.isEnabled('BUCKETED', { user_id: i }));
  report('isEnabled, consistent hash, new user_id', bucketed, hashBaseline, 'bare hashing path (sync)', 1.5);
}
