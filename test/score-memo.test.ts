import { expect } from 'chai';
import * as crypto from 'node:crypto';
import {
  ConsistentHashPercentageBucketer,
  FeatureFlagClient,
  InvalidArgumentError,
  MemoryFeatureFlagStore,
  Percentage,
  deserializeItem,
  type Bucketer,
  type BucketerTrace,
  type Checks,
} from '../client';
import { hashScore, serializeChecks } from '../shared/bucketing/consistent-hash';
import { MAX_MEMO_TEXT, MAX_MEMO_VALUE, MAX_VALUE_TABLES, ScoreMemo } from '../shared/bucketing/score-memo';
import { hasOneShotHash, sha1Score, sha1ScoreWithoutOneShot } from '../shared/bucketing/sha1-score';
import { hashVectors, pythonItems } from './helpers/fixtures';
import { expected, hostileFixture } from './helpers/hostile-fixtures';
import { SeededRandom } from './helpers/seeded-random';

/** The score by the general path: `serializeChecks` (arrays, sort) and SHA-1, no memo, no fast path. */
function computed(checks: Checks | undefined, whitelist: readonly string[]): number {
  return hashScore(serializeChecks(checks, new Set(whitelist)));
}

/** The score a bucketer's `check` reports through a memo (the client's path). */
function throughMemo(bucketer: Bucketer, checks: Checks | undefined, memo: ScoreMemo): number {
  const trace: BucketerTrace = {};
  bucketer.check(checks, trace, memo);
  return trace.score!;
}

/** Every way of scoring these checks agrees: fast path, memo (a miss, then a hit), general path, fallback hash. */
function expectOneScore(whitelist: readonly string[], checks: Checks | undefined, memo: ScoreMemo, label: string) {
  const bucketer = new ConsistentHashPercentageBucketer({ keyWhitelist: whitelist, percentage: new Percentage(0.5) });
  const text = serializeChecks(checks, new Set(whitelist));
  const want = computed(checks, whitelist);
  expect(bucketer.serialize(checks), label).to.equal(text);
  expect(bucketer.score(checks), label).to.equal(want);
  expect(throughMemo(bucketer, checks, memo), `${label} (memo, first)`).to.equal(want);
  expect(throughMemo(bucketer, checks, memo), `${label} (memo, again)`).to.equal(want);
  expect(sha1ScoreWithoutOneShot(text), `${label} (createHash)`).to.equal(want);
  return want;
}

/** The bucketers of a stored flag, for the flags whose bucketer hashes. */
function consistentHashWhitelist(storedJson: string): readonly string[] | undefined {
  const bucketer = deserializeItem(storedJson).meta.bucketer;
  return bucketer instanceof ConsistentHashPercentageBucketer ? bucketer.keyWhitelist : undefined;
}

describe('consistent hashing: the fast path and the score memo give the computed score', function () {
  it('uses crypto.hash where this Node has it, and the createHash fallback agrees on every vector', function () {
    expect(hasOneShotHash).to.equal(typeof (crypto as { hash?: unknown }).hash === 'function');
    for (const v of hashVectors()) {
      expect(sha1Score(v.serialized), v.serialized).to.equal(v.score);
      expect(sha1ScoreWithoutOneShot(v.serialized), v.serialized).to.equal(v.score);
    }
  });

  it('scores the 400 Python vectors identically through the fast path, the memo and the general path', function () {
    const vectors = hashVectors();
    expect(vectors).to.have.length(400);
    // A small memo, so that evictions happen along the way, and one that keeps everything.
    for (const memo of [new ScoreMemo(3), new ScoreMemo(1000)]) {
      for (const v of vectors) {
        const score = expectOneScore(v.key_whitelist, v.checks, memo, JSON.stringify(v.checks));
        // The vectors Python wrote with an int (all but the 21 whole floats beyond 2^53) score as Python.
        if (v.serialized === serializeChecks(v.checks, new Set(v.key_whitelist))) expect(score).to.equal(v.score);
      }
    }
  });

  it('gives every call of the hostile fixture and of the 12 Python flags the same answer with the memo on and off', async function () {
    const { items } = hostileFixture();
    const flags = [
      ...items.map((i) => ({ stored: i.stored_json, calls: i.calls })),
      ...pythonItems().map((i) => ({ stored: i.stored_json, calls: i.evaluations })),
    ];
    expect(flags).to.have.length(65 + 12);
    const store = new MemoryFeatureFlagStore();
    const withMemo = new FeatureFlagClient(store, { scoreMemoSize: 5 });
    const withoutMemo = new FeatureFlagClient(store, { scoreMemoSize: 0 });
    const memo = new ScoreMemo(7);
    let hashed = 0;
    for (const flag of flags) {
      const item = deserializeItem(flag.stored);
      await store.create(item.featureName);
      await store.set(item.featureName, item.isEnabled);
      await store.setMeta(item.featureName, item.meta);
      const whitelist = consistentHashWhitelist(flag.stored);
      for (let pass = 0; pass < 2; pass++) {
        for (const call of flag.calls) {
          const label = `${item.featureName} ${Object.keys(call.checks).join(',')}`;
          expect(await withMemo.isEnabled(item.featureName, call.checks), label).to.equal(expected(call));
          expect(await withoutMemo.isEnabled(item.featureName, call.checks), label).to.equal(expected(call));
          const a = await withMemo.explain(item.featureName, call.checks);
          const b = await withoutMemo.explain(item.featureName, call.checks);
          // A PercentageBucketer draws a new random score each call: everything else must match.
          if (a.bucketer?.type === 'PercentageBucketer') {
            delete a.bucketer.score;
            delete b.bucketer!.score;
          }
          expect(a, label).to.deep.equal(b);
          if (whitelist !== undefined) {
            expectOneScore(whitelist, call.checks, memo, label);
            hashed++;
          }
        }
      }
    }
    expect(hashed, 'calls on consistent-hash flags').to.be.greaterThan(100);
  });

  it('keeps apart what Python writes apart and gives the same score to what it writes alike', function () {
    const memo = new ScoreMemo(100);
    const cases: Checks[] = [
      { user_id: 1 },
      { user_id: 1n },
      { user_id: '1' },
      { user_id: true },
      { user_id: 1.5 },
      { user_id: 0 },
      { user_id: -0 },
      { user_id: NaN },
      { user_id: Infinity },
      { user_id: -Infinity },
      { user_id: 2 ** 53 },
      { user_id: 2n ** 64n },
      { user_id: 1e21 },
      { user_id: null },
      { user_id: [1] },
      { user_id: { a: 1 } },
      { user_id: 'café' },
      { user_id: '\ud800' },
      { user_id: '😀' },
      { user_id: undefined },
      { user_id: 'x'.repeat(MAX_MEMO_VALUE + 1) },
      { other: 1 },
      {},
    ];
    for (let round = 0; round < 2; round++) {
      for (const checks of cases) {
        for (const whitelist of [['user_id'], [], ['user_id', 'other'], ['other', 'user_id', 'user_id']]) {
          expectOneScore(whitelist, checks, memo, `${String(checks.user_id)} ${whitelist.join(',')}`);
        }
      }
      expectOneScore(['user_id'], undefined, memo, 'no checks');
      // A JavaScript caller's null is no checks, as the general path's `if (checks)` takes it.
      for (const whitelist of [['user_id'], [], ['user_id', 'other']]) {
        expectOneScore(whitelist, null as unknown as Checks, memo, `null checks ${whitelist.join(',')}`);
      }
    }
    // 1 and 1n are written alike ("1"), as are 0 and -0; the memo keeps 1 and 1n apart and still agrees.
    const b = new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'] });
    expect(throughMemo(b, { user_id: 1n }, memo)).to.equal(throughMemo(b, { user_id: 1 }, memo));
    expect(throughMemo(b, { user_id: -0 }, memo)).to.equal(b.score({ user_id: 0 }));
  });

  it('reads names Object.prototype has only as own keys, as the general path does', function () {
    const memo = new ScoreMemo(10);
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expectOneScore([name], {}, memo, `${name} absent`);
      expectOneScore([name], JSON.parse(`{"${name}": 7}`) as Checks, memo, `${name} present`);
      expectOneScore([name, 'user_id'], { user_id: 1 }, memo, `${name} absent, user_id`);
    }
    expect(new ConsistentHashPercentageBucketer({ keyWhitelist: ['toString'] }).serialize({})).to.equal('[]');
  });

  it('scores seeded random checks the same through a memo that keeps evicting', function () {
    const random = new SeededRandom(12);
    const memo = new ScoreMemo(16);
    const names = ['user_id', 'org_id', 'a', 'é', '__proto__'];
    const value = (): Checks[string] => {
      switch (random.int(8)) {
        case 0:
          return random.int(40);
        case 1:
          return String(random.int(40));
        case 2:
          return random.int(40) / 8;
        case 3:
          return random.bigint(25);
        case 4:
          return random.int(2) === 0;
        case 5:
          return null;
        case 6:
          return [random.int(5), 'x'];
        default:
          return undefined;
      }
    };
    for (let i = 0; i < 3000; i++) {
      const checks: Record<string, Checks[string]> = JSON.parse('{}') as Record<string, Checks[string]>;
      for (const name of names)
        if (random.int(2) === 0) Object.defineProperty(checks, name, { value: value(), enumerable: true });
      const whitelist = names.filter(() => random.int(3) === 0);
      expectOneScore(whitelist, checks, memo, `${i}: ${whitelist.join(',')}`);
    }
    expect(memo.entries).to.be.at.most(16 * (1 + MAX_VALUE_TABLES));
  });

  it('stays within its bound: size entries per table, at most MAX_VALUE_TABLES key names, long texts not kept', function () {
    const memo = new ScoreMemo(10);
    for (let k = 0; k < MAX_VALUE_TABLES + 3; k++) {
      const bucketer = new ConsistentHashPercentageBucketer({ keyWhitelist: [`key${k}`] });
      for (let i = 0; i < 50; i++)
        expect(throughMemo(bucketer, { [`key${k}`]: i }, memo)).to.equal(bucketer.score({ [`key${k}`]: i }));
    }
    // MAX_VALUE_TABLES value tables full, the names past the cap in the one text table.
    expect(memo.entries).to.equal(10 * (MAX_VALUE_TABLES + 1));
    const long = new ScoreMemo(10);
    const bucketer = new ConsistentHashPercentageBucketer({ keyWhitelist: [] });
    const checks = { user_id: 'y'.repeat(MAX_MEMO_TEXT) };
    expect(throughMemo(bucketer, checks, long)).to.equal(bucketer.score(checks));
    expect(long.entries, 'a text over MAX_MEMO_TEXT is hashed, not kept').to.equal(0);
    expect(throughMemo(bucketer, { user_id: 'short' }, long)).to.equal(bucketer.score({ user_id: 'short' }));
    expect(long.entries).to.equal(1);
  });

  it('is on by default in the client, off at scoreMemoSize 0, and rejects a size that is not a count', async function () {
    const memoOf = (client: FeatureFlagClient) => (client as unknown as { scoreMemo?: ScoreMemo }).scoreMemo;
    const store = new MemoryFeatureFlagStore();
    await store.create('B');
    await store.set('B', true);
    const client = new FeatureFlagClient(store);
    await client.setBucketer('B', new ConsistentHashPercentageBucketer({ keyWhitelist: ['user_id'] }));
    for (let i = 0; i < 20; i++) await client.isEnabled('B', { user_id: i });
    expect(memoOf(client)!.size).to.equal(10_000);
    expect(memoOf(client)!.entries).to.equal(20);
    expect(memoOf(new FeatureFlagClient(store, { scoreMemoSize: 0 }))).to.equal(undefined);
    expect(memoOf(new FeatureFlagClient(store, { scoreMemoSize: 3 }))!.size).to.equal(3);
    for (const bad of [-1, 1.5, NaN, Infinity, '10' as unknown as number]) {
      expect(() => new FeatureFlagClient(store, { scoreMemoSize: bad }), String(bad)).to.throw(
        InvalidArgumentError,
        /scoreMemoSize/,
      );
    }
  });
});
