import { Random, systemRandom } from '../clock';
import { Bucketer, BucketerJSON, BucketerTrace } from './bucketer';
import { AbstractPercentage, Percentage } from './percentage';

export interface PercentageBucketerOptions {
  /** The share of calls that are enabled. Default 100%. */
  percentage?: AbstractPercentage;
  /** Source of randomness in [0, 1). Default `Math.random`. */
  random?: Random;
}

/** Enables a random share of calls, drawn anew on every check; off at 0%, as Python's. */
export class PercentageBucketer implements Bucketer {
  readonly type = 'PercentageBucketer';
  readonly percentage: AbstractPercentage;
  private readonly random: Random;

  constructor(options: PercentageBucketerOptions | AbstractPercentage = {}) {
    const opts: PercentageBucketerOptions = 'value' in options ? { percentage: options } : options;
    this.percentage = opts.percentage ?? new Percentage(1.0);
    this.random = opts.random ?? systemRandom;
  }

  check(_checks?: unknown, trace?: BucketerTrace): boolean {
    const percentage = this.percentage.value;
    const score = this.random();
    if (trace) {
      trace.score = score;
      trace.percentage = percentage;
    }
    // Python's check: off at 0, else on when the draw is <= the percentage (never at NaN).
    return percentage !== 0 && score <= percentage;
  }

  toJSON(): BucketerJSON {
    return { type: 'PercentageBucketer', percentage: this.percentage.toJSON() };
  }
}
