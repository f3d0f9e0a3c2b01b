import { Checks } from '../json';
import { PercentageJSON } from './percentage';
import type { ScoreMemo } from './score-memo';

/** Filled in by a bucketer when the caller asks why it decided as it did (`explain`). */
export interface BucketerTrace {
  /** The score compared with the percentage: a random draw or the consistent hash, in [0, 1). */
  score?: number;
  /** The percentage at the time of the check. */
  percentage?: number;
}

export type BucketerJSON =
  | { type: 'NoOpBucketer' }
  | { type: 'PercentageBucketer'; percentage: PercentageJSON }
  | { type: 'ConsistentHashPercentageBucketer'; percentage: PercentageJSON; key_whitelist: string[] };

/** Decides whether a call falls in the enabled share of traffic. */
export interface Bucketer {
  /** The Python class name, as stored in `type`. */
  readonly type: BucketerJSON['type'];
  /**
   * True when these checks fall in the enabled bucket. Never throws; `trace` receives the score.
   * `memo` (the client's) may keep scores already computed; a bucketer that has none ignores it.
   */
  check(checks?: Checks, trace?: BucketerTrace, memo?: ScoreMemo): boolean;
  /** The Python library's stored form. */
  toJSON(): BucketerJSON;
}
