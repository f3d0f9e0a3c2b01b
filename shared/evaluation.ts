import { BucketerTrace } from './bucketing/bucketer';
import type { ScoreMemo } from './bucketing/score-memo';
import { Checks, JsonValue } from './json';
import { FeatureFlagStoreItem } from './model/item';
import type { FeatureFlagStoreMeta } from './model/meta';

/** Why an evaluation gave its result. */
export type EvaluationReason =
  /** No flag of that name: the caller's default. */
  | 'FLAG_NOT_FOUND'
  /** The flag is off. */
  | 'DISABLED'
  /** A condition on a passed key did not hold. */
  | 'CONDITION_FAILED'
  /** Some passed key is checked by the conditions and every check held; the bucketer was not asked. */
  | 'CONDITIONS_HELD'
  /** No passed key is checked by a condition: the bucketer decided. */
  | 'BUCKETER'
  /** The store failed or the flag is malformed: the caller's default. */
  | 'ERROR';

/** The check that decided a `CONDITION_FAILED` (or the last one that held for `CONDITIONS_HELD`). */
export interface ConditionTrace {
  /** Index of the condition in the flag's list. */
  index: number;
  variable: string;
  operator: string | null;
  expected: JsonValue;
  actual: JsonValue;
}

/** Filled in by `evaluate` when the caller wants to know why. */
export interface EvaluationTrace {
  reason?: EvaluationReason;
  condition?: ConditionTrace;
  bucketer?: BucketerTrace & { type: string };
}

/**
 * The one evaluator behind `isEnabled` and `explain`. Disabled is false. When the caller passed a
 * key that some condition checks, every check on every passed key must hold and the bucketer is
 * not asked; otherwise the bucketer decides. Never throws; allocates nothing without a trace.
 * `memo` keeps consistent-hash scores for returning checks (the client's `scoreMemoSize`).
 * Small on purpose (the loops are in `conditionsDecide`), so that callers can take it inline.
 */
export function evaluate(
  item: FeatureFlagStoreItem,
  checks: Checks | undefined,
  trace?: EvaluationTrace,
  memo?: ScoreMemo,
): boolean {
  if (!item.isEnabled) {
    if (trace) trace.reason = 'DISABLED';
    return false;
  }
  const meta = item.meta;
  if (checks !== undefined && meta.conditionVariables.size > 0) {
    const decided = conditionsDecide(meta, checks, trace);
    if (decided !== undefined) return decided;
  }
  if (!trace) return meta.bucketer.check(checks, undefined, memo);
  const bucketerTrace: BucketerTrace & { type: string } = { type: meta.bucketer.type };
  trace.reason = 'BUCKETER';
  trace.bucketer = bucketerTrace;
  return meta.bucketer.check(checks, bucketerTrace, memo);
}

/** The conditions' answer when some passed key is one they check; undefined when none is (the bucketer decides). */
function conditionsDecide(meta: FeatureFlagStoreMeta, checks: Checks, trace?: EvaluationTrace): boolean | undefined {
  let matched = false;
  const conditions = meta.conditions;
  for (const key in checks) {
    const actual = checks[key];
    if (actual === undefined || !meta.conditionVariables.has(key)) continue;
    for (let i = 0; i < conditions.length; i++) {
      const list = conditions[i].checksFor(key);
      if (list === undefined) continue;
      matched = true;
      for (const check of list) {
        const held = check.test(actual);
        if (trace) {
          trace.condition = {
            index: i,
            variable: key,
            operator: check.operator,
            expected: check.value,
            actual,
          };
        }
        if (!held) {
          if (trace) trace.reason = 'CONDITION_FAILED';
          return false;
        }
      }
    }
  }
  if (!matched) return undefined;
  if (trace) trace.reason = 'CONDITIONS_HELD';
  return true;
}
