import {
  evaluate,
  type Checks,
  type ConditionTrace,
  type EvaluationReason,
  type EvaluationTrace,
  type FeatureFlagStoreItem,
  type FlipperErrorCode,
} from '../shared';
import type { ScoreMemo } from '../shared/bucketing/score-memo';

/** What `client.explain` returns: the result `isEnabled` would give, and why. */
export interface Explanation {
  featureName: string;
  /** Exactly what `isEnabled` returns for the same arguments and store state. */
  value: boolean;
  reason: EvaluationReason;
  /** The check that decided, for `CONDITION_FAILED` and `CONDITIONS_HELD`. */
  condition?: ConditionTrace;
  /** The bucketer's type, score and percentage, for `BUCKETER`. */
  bucketer?: { type: string; score?: number; percentage?: number };
  /** What went wrong, for `ERROR`. */
  error?: { code: FlipperErrorCode | 'UNKNOWN'; message: string };
}

/** The explanation of one stored flag for these checks: the evaluator's trace, as `explain` returns it. */
export function explainItem(
  featureName: string,
  item: FeatureFlagStoreItem,
  checks?: Checks,
  memo?: ScoreMemo,
): Explanation {
  const trace: EvaluationTrace = {};
  const value = evaluate(item, checks, trace, memo);
  return {
    featureName,
    value,
    reason: trace.reason ?? 'BUCKETER',
    ...(trace.condition && { condition: trace.condition }),
    ...(trace.bucketer && { bucketer: trace.bucketer }),
  };
}
