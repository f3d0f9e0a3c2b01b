import { Checks } from '../json';
import { Bucketer, BucketerJSON, BucketerTrace } from './bucketer';
import { hashScore, serializeChecks } from './consistent-hash';
import { AbstractPercentage, Percentage } from './percentage';

export interface ConsistentHashPercentageBucketerOptions {
  /** Keys of the checks that are hashed; empty (the default) hashes every key. */
  keyWhitelist?: readonly string[];
  /** The share of buckets that are enabled. Default 100%. */
  percentage?: AbstractPercentage;
}

/**
 * Puts the same checks in the same bucket every time, in Python and in Node alike. As in Python,
 * the flag name is not hashed (flags at one percentage pick the same users) and a score `s` is
 * enabled when `s <= percentage`, so 50% enables 51 of the 100 buckets.
 */
export class ConsistentHashPercentageBucketer implements Bucketer {
  readonly type = 'ConsistentHashPercentageBucketer';
  readonly percentage: AbstractPercentage;
  readonly keyWhitelist: readonly string[];
  private readonly whitelist: ReadonlySet<string>;

  constructor(options: ConsistentHashPercentageBucketerOptions = {}) {
    this.percentage = options.percentage ?? new Percentage(1.0);
    this.keyWhitelist = Object.freeze([...(options.keyWhitelist ?? [])]);
    this.whitelist = new Set(this.keyWhitelist);
  }

  /** The bucket of these checks, in [0, 1) by steps of 0.01. */
  score(checks?: Checks): number {
    return hashScore(serializeChecks(checks, this.whitelist));
  }

  check(checks?: Checks, trace?: BucketerTrace): boolean {
    const percentage = this.percentage.value;
    if (percentage <= 0 && !trace) return false;
    const score = this.score(checks);
    if (trace) {
      trace.score = score;
      trace.percentage = percentage;
    }
    return percentage > 0 && score <= percentage;
  }

  toJSON(): BucketerJSON {
    return {
      type: 'ConsistentHashPercentageBucketer',
      percentage: this.percentage.toJSON(),
      key_whitelist: [...this.keyWhitelist],
    };
  }
}
