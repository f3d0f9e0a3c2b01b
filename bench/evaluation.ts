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
import { opsPerSecond, opsPerSecondSync, report, reportMicros } from './harness';
import { startUnleash } from './unleash';

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

  await runUnleashComparison(client);
}

/**
 * The same flags next to unleash-client's own evaluation (synchronous, in memory): its `default`
 * strategy for a plain flag, `flexibleRollout` at 50% (murmur3) for a bucketed one. Our client keeps
 * its memo of scores on (the default): new users each call pay its misses; 1,000 returning users
 * cycled are what it is for. Unleash has no memo: its returning users cost what new ones do. Each
 * pair is measured in alternating rounds, so that a busy moment of a shared machine hits both.
 */
async function runUnleashComparison(client: FeatureFlagClient): Promise<void> {
  console.log('\n# isEnabled next to unleash-client ' + unleashVersion() + ' (alternating rounds, best of each)');
  const unleash = await startUnleash();
  try {
    const users = Array.from({ length: 1000 }, (_, i) => ({ user_id: 1_000_000 + i }));
    const userIds = users.map((u) => String(u.user_id));
    const noMemo = new FeatureFlagClient(client.store, { scoreMemoSize: 0 });
    let next = 0; // a user never seen before on every call, across rounds
    const [plain, unleashPlain] = await paired(
      () => client.isEnabled('PLAIN'),
      () => unleash.plain(),
    );
    report('isEnabled, plain flag', plain, unleashPlain, 'unleash default strategy', 1);
    const [fresh, unleashFresh] = await paired(
      () => client.isEnabled('BUCKETED', { user_id: next++ }),
      () => unleash.rollout(String(next++)),
    );
    report('isEnabled, consistent hash, new user_id', fresh, unleashFresh, 'unleash flexibleRollout 50%', 1);
    const [freshNoMemo, unleashFresh2] = await paired(
      () => noMemo.isEnabled('BUCKETED', { user_id: next++ }),
      () => unleash.rollout(String(next++)),
    );
    report('  the same, score memo off', freshNoMemo, unleashFresh2, 'unleash flexibleRollout 50%');
    const [returning, unleashReturning] = await paired(
      (i) => client.isEnabled('BUCKETED', users[i % 1000]),
      (i) => unleash.rollout(userIds[i % 1000]),
    );
    // An absolute target on a shared machine: the plain flag's time in the same run says how loaded
    // it was, and an `await` of nothing what any awaited call costs before it does anything.
    const awaitAlone = await opsPerSecond(() => undefined);
    const notes =
      `; plain flag ${micros(plain)} µs; a bare await alone ${micros(awaitAlone)} µs, most of the budget:` +
      ' the next line is the same check without it';
    reportMicros(
      '  1,000 returning user_ids cycled',
      returning,
      unleashReturning,
      'unleash flexibleRollout 50%',
      0.1,
      notes,
    );
    const [returningSync, unleashReturningSync] = await paired(
      (i) => client.isEnabledSync('BUCKETED', users[i % 1000]),
      (i) => unleash.rollout(userIds[i % 1000]),
      { oursSync: true },
    );
    reportMicros(
      '  the same, isEnabledSync (no await)',
      returningSync,
      unleashReturningSync,
      'unleash flexibleRollout 50%',
      0.1,
    );
  } finally {
    unleash.stop();
  }
}

/**
 * Best ops/s of ours (awaited, unless `oursSync`) and of a synchronous baseline, over `rounds`
 * alternating rounds.
 */
async function paired(
  ours: (i: number) => unknown,
  baseline: (i: number) => unknown,
  options: { rounds?: number; oursSync?: boolean } = {},
): Promise<[number, number]> {
  let best: [number, number] = [0, 0];
  for (let r = 0; r < (options.rounds ?? 5); r++) {
    const a = options.oursSync ? opsPerSecondSync(ours, { rounds: 1 }) : await opsPerSecond(ours, { rounds: 1 });
    const b = opsPerSecondSync(baseline, { rounds: 1 });
    best = [Math.max(best[0], a), Math.max(best[1], b)];
  }
  return best;
}

function micros(opsPerSecond: number): string {
  return (1e6 / opsPerSecond).toFixed(3);
}

function unleashVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('unleash-client/package.json') as { version: string }).version;
}
